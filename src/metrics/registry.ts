// What the team running Batsignal watches: a prom-client Registry per app (never the global default
// registry: tests build many apps in one process), and the typed Metrics other modules call.
// Counters count events in this process; Prometheus sums them across instances. The outbox gauges
// are read from PostgreSQL at scrape time (one query), so every instance reports the shared queue.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';
import type { AlertSource, Channel } from '../db/schema.js';
import type { Clock } from '../clock.js';

/** What the inbound pipeline made of a valid webhook (src/inbound/pipeline.ts). */
export const PIPELINE_OUTCOMES = ['processed', 'duplicate', 'part', 'stranger', 'ignored'] as const;
/** ...and what the webhook answered otherwise. */
export const INBOUND_OUTCOMES = [...PIPELINE_OUTCOMES, 'invalid_signature', 'invalid_request', 'stale_request', 'error'] as const;
export type InboundWebhookOutcome = (typeof INBOUND_OUTCOMES)[number];

export const SEND_RESULTS = ['submitted', 'retried', 'failed_permanent'] as const;
export type SendResult = (typeof SEND_RESULTS)[number];

/** What became of one text handed to a particular SMS provider (failed_over: refused, sent on by the next). */
export const PROVIDER_SEND_RESULTS = [...SEND_RESULTS, 'failed_over'] as const;
export type ProviderSendResult = (typeof PROVIDER_SEND_RESULTS)[number];

export const STATUS_WEBHOOK_OUTCOMES = ['recorded', 'superseded', 'unknown_message', 'mismatched_message', 'invalid_signature', 'invalid_request', 'stale_request', 'error'] as const;
export type StatusWebhookOutcome = (typeof STATUS_WEBHOOK_OUTCOMES)[number];

export const CHANNELS: readonly Channel[] = ['sms', 'email', 'forum'];

/** The events other modules report. Every method is cheap and never throws. */
export interface Metrics {
  /** One inbound SMS webhook answered, by what became of it. */
  inbound(outcome: InboundWebhookOutcome): void;
  /** One provider call made by the dispatcher, by its result. */
  send(channel: Channel, result: SendResult): void;
  /** One delivery-receipt webhook answered; `status` is the receipt's status when it was valid. */
  statusWebhook(outcome: StatusWebhookOutcome, status?: string): void;
  /** An alert created (count after its transaction commits: see afterCommit). */
  alertRaised(source: AlertSource, exercise: boolean): void;
  /** A member's first acknowledgement of an alert (repeats are not counted). */
  acknowledged(): void;
  /** One text handed to an SMS provider (with failover, src/providers/failover.ts), by its result. */
  providerSend(provider: string, result: ProviderSendResult): void;
  /** An SMS provider taken out (false) or back in (true), as this instance sees the shared state. */
  providerState(provider: string, up: boolean): void;
  /** One HTTP request answered: route is the route pattern (/api/alerts/:n), never the raw URL. */
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

export const noopMetrics: Metrics = {
  inbound() {},
  send() {},
  statusWebhook() {},
  alertRaised() {},
  acknowledged() {},
  providerSend() {},
  providerState() {},
  httpRequest() {},
};

export interface AppMetrics extends Metrics {
  readonly registry: Registry;
  /** Prometheus text exposition (runs the outbox query). */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  db: Database;
  clock: Clock;
  /** Node process metrics (CPU, memory, event-loop lag, GC): on in the server, off in tests. */
  processMetrics?: boolean;
}

interface OutboxRow {
  channel: Channel;
  depth: number;
  oldest_seconds: number | null;
}

/** Depth and oldest waiting row per channel, in ONE statement (partial indexes on pending and sending). */
async function outboxSnapshot(db: Database, now: Date): Promise<OutboxRow[]> {
  const r = await sql<OutboxRow>`
    SELECT c.channel,
           count(o.id)::int AS depth,
           greatest(0, extract(epoch FROM (${now}::timestamptz - min(o.created_at))))::float8 AS oldest_seconds
    FROM (VALUES ('sms'), ('email'), ('forum')) AS c(channel)
    LEFT JOIN outbox o ON o.channel = c.channel AND o.state IN ('pending', 'sending')
    GROUP BY c.channel`.execute(db);
  return r.rows;
}

// Seconds: webhooks answer in a few ms; Vonage gives up on an answer slower than 15 s.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

export function createMetrics(opts: MetricsOptions): AppMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'batsignal_' });

  const inbound = new Counter({
    name: 'batsignal_inbound_webhooks_total',
    help: 'Inbound SMS webhooks answered, by outcome (invalid_signature: refused with 401).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const sends = new Counter({
    name: 'batsignal_outbound_sends_total',
    help: 'Provider calls made by the outbox dispatcher, by channel and result.',
    labelNames: ['channel', 'result'] as const,
    registers,
  });
  const statusWebhooks = new Counter({
    name: 'batsignal_status_webhooks_total',
    help: 'Delivery-receipt webhooks answered, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const receipts = new Counter({
    name: 'batsignal_delivery_receipts_total',
    help: 'Valid, signed delivery receipts, by receipt status.',
    labelNames: ['status'] as const,
    registers,
  });
  const alerts = new Counter({
    name: 'batsignal_alerts_raised_total',
    help: 'Alerts created, by source (sms, forum, admin) and whether they were exercises.',
    labelNames: ['source', 'exercise'] as const,
    registers,
  });
  const acks = new Counter({
    name: 'batsignal_acknowledgements_total',
    help: 'Acknowledgements recorded (first ACK of an alert by a member).',
    registers,
  });
  const providerSends = new Counter({
    name: 'batsignal_sms_provider_sends_total',
    help: 'Texts handed to each SMS provider (failover configured), by result.',
    labelNames: ['provider', 'result'] as const,
    registers,
  });
  const providerUp = new Gauge({
    name: 'batsignal_sms_provider_up',
    help: '1 while an SMS provider is in use, 0 while it is taken out after repeated failures (failover configured).',
    labelNames: ['provider'] as const,
    registers,
  });
  const http = new Histogram({
    name: 'batsignal_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });

  // Both outbox gauges are filled by one query per scrape: the first collect() starts it, the
  // second (prom-client collects concurrently) awaits the same promise.
  let inflight: Promise<OutboxRow[] | undefined> | undefined;
  const snapshot = () =>
    (inflight ??= outboxSnapshot(opts.db, opts.clock())
      .then((rows) => {
        databaseUp.set(1);
        return rows;
      }, () => {
        databaseUp.set(0);
        return undefined;
      })
      .finally(() => (inflight = undefined)));

  const databaseUp = new Gauge({
    name: 'batsignal_database_up',
    help: '1 when the last scrape could read the outbox from PostgreSQL, else 0.',
    registers,
  });
  new Gauge({
    name: 'batsignal_outbox_depth',
    help: 'Outbox rows waiting to be sent or being sent, per channel (all instances).',
    labelNames: ['channel'] as const,
    registers,
    async collect() {
      const rows = await snapshot();
      this.reset();
      for (const r of rows ?? []) this.set({ channel: r.channel }, r.depth);
    },
  });
  new Gauge({
    name: 'batsignal_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox row not yet sent, per channel (0 when none is waiting).',
    labelNames: ['channel'] as const,
    registers,
    async collect() {
      const rows = await snapshot();
      this.reset();
      for (const r of rows ?? []) this.set({ channel: r.channel }, r.oldest_seconds ?? 0);
    },
  });

  // Every series that rate() alerts divide by exists from the start, at 0.
  for (const o of INBOUND_OUTCOMES) inbound.inc({ outcome: o }, 0);
  for (const c of CHANNELS) for (const r of SEND_RESULTS) sends.inc({ channel: c, result: r }, 0);
  for (const o of STATUS_WEBHOOK_OUTCOMES) statusWebhooks.inc({ outcome: o }, 0);
  acks.inc(0);

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    inbound: (outcome) => inbound.inc({ outcome }),
    send: (channel, result) => sends.inc({ channel, result }),
    statusWebhook(outcome, status) {
      statusWebhooks.inc({ outcome });
      if (status !== undefined) receipts.inc({ status });
    },
    alertRaised: (source, exercise) => alerts.inc({ source, exercise: String(exercise) }),
    acknowledged: () => acks.inc(),
    providerSend: (provider, result) => providerSends.inc({ provider, result }),
    providerState: (provider, up) => providerUp.set({ provider }, up ? 1 : 0),
    httpRequest: (method, route, statusCode, seconds) => http.observe({ method, route, status_code: String(statusCode) }, seconds),
  };
}

/**
 * Metrics recorded inside a transaction, counted only when it commits: a rolled-back raise (and
 * Vonage's retry of the webhook) must not count an alert twice. Call commit() after the commit.
 */
export function afterCommit(metrics: Metrics): Metrics & { commit(): void } {
  const queued: (() => void)[] = [];
  const later =
    <K extends keyof Metrics>(k: K) =>
    (...a: Parameters<Metrics[K]>) =>
      void queued.push(() => (metrics[k] as (...x: Parameters<Metrics[K]>) => void).apply(metrics, a));
  return {
    inbound: later('inbound'),
    send: later('send'),
    statusWebhook: later('statusWebhook'),
    alertRaised: later('alertRaised'),
    acknowledged: later('acknowledged'),
    providerSend: later('providerSend'),
    providerState: later('providerState'),
    httpRequest: later('httpRequest'),
    commit() {
      for (const q of queued.splice(0)) q();
    },
  };
}
