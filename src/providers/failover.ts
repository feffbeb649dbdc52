// SMS as an outbox channel: an outbox row becomes an SmsMessage (client-ref = outbox id) for the
// SMS provider chosen here, in one place. With several providers (SMS_PROVIDERS), createFailover:
// - texts go to the first provider in order that is switched on and up; the dispatcher claims at
//   that provider's rate, from its schedule in PostgreSQL (pace()), so each provider's limit holds
//   across instances;
// - a provider whose recent sends keep failing through its own fault (transport errors, 5xx,
//   authentication, timeouts) is taken out for every instance (health.ts) and probed back in: after
//   probeAfterMs one instance sends one real text through it; success takes it back;
// - a definite failure (the provider answered no, or the connection was refused) goes at once to
//   the next provider, on a slot of that provider's schedule; an uncertain one (a timeout) is not
//   tried elsewhere: the dispatcher waits for a receipt first, so nobody is texted twice;
// - a reply goes back through the provider (number) the member last texted, when it is usable.
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/connect.js';
import type { OutboxRow } from '../db/schema.js';
import type { SendOutcome, Sender, SmsMessage, SmsSender } from '../outbox/channel.js';
import type { ProviderOutcome } from './outcome.js';
import type { Metrics } from '../metrics/registry.js';
import { ensureProviders, markDown, markUp, noteFailure, readProviders, reserveSlot, setEnabled, takeProbe, type ProviderState } from './health.js';
import { createVonageSender } from './vonage-sms/client.js';
import { createTwilioSender } from './twilio/client.js';
import { createVonageMessagesSender } from './vonage-messages/client.js';
import { createLogSender, type LogLine } from './log/sender.js';

export function smsChannel(sender: SmsSender, from: string): Sender & { readonly sms: SmsSender } {
  return {
    channel: 'sms',
    sms: sender,
    // Providers take international digits without '+' (toVonage in src/directory/phone.ts).
    send: (row: OutboxRow) => sender.send({ id: row.id, to: row.recipient.replace(/^\+/, ''), from, text: row.body, attempt: row.attempts }),
  };
}

/** The demo's phone simulator when there is one, else Vonage when configured, else the log. */
export function pickSmsSender(deps: { config: Pick<Config, 'vonage'>; simulator?: SmsSender | undefined }, log: LogLine): SmsSender {
  if (deps.simulator) return deps.simulator;
  if (deps.config.vonage) return createVonageSender(deps.config.vonage);
  return createLogSender(log);
}

/** One configured SMS provider as failover drives it. */
export interface SmsProvider {
  readonly name: string;
  /** Our number at this provider, digits without '+': texts go out from it. */
  readonly number: string;
  /** Sends per second (0: no limit). */
  readonly perSecond: number;
  send(msg: SmsMessage): Promise<ProviderOutcome>;
}

export interface FailoverLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Per-provider events, counted by src/metrics (a leaf; failover only calls it). */
export type ProviderMetrics = Pick<Metrics, 'providerSend' | 'providerState'>;

export interface FailoverOptions {
  now?: () => Date;
  /** Provider faults among its last `window` sends that take it out (default 5 of 10). */
  takeOutAfter?: number;
  window?: number;
  /** First probe this long after a provider is taken out, doubling per failed probe up to maxProbeAfterMs. */
  probeAfterMs?: number;
  maxProbeAfterMs?: number;
  /** How often the shared state is read. */
  syncMs?: number;
  /** A failover slot further ahead than this is not waited for (the text is retried later instead). */
  maxSlotWaitMs?: number;
  metrics?: ProviderMetrics;
  log?: FailoverLog;
}

export interface ProviderView extends ProviderState {
  number: string;
  ratePerSecond: number;
  preferred: boolean;
  /** Faults among this instance's recent sends through it. */
  recentFaults: number;
  /** This instance's sends since start, by result. */
  sent: { submitted: number; failed: number; faults: number };
}

export interface FailoverChannel extends Sender {
  pace(): { key: string; perSecond: number };
  /** Every configured provider's state, in order of preference. */
  states(): Promise<ProviderView[]>;
  /** Admin switch; false for a name that is not configured. */
  setEnabled(name: string, enabled: boolean, reason: string | null): Promise<boolean>;
  /** Reads the shared state now (tests; otherwise every syncMs). */
  refresh(): Promise<void>;
  stop(): void;
}

interface Local {
  p: SmsProvider;
  shared: ProviderState;
  recent: boolean[];
  probeDelayMs: number;
  probing: boolean;
  lastNoted: number;
  sent: { submitted: number; failed: number; faults: number };
}

const noLog: FailoverLog = { info() {}, warn() {} };

/** The SMS channel over several providers. `db` holds the shared state; call stop() on shutdown. */
export async function createFailover(db: Database, providers: readonly SmsProvider[], o: FailoverOptions = {}): Promise<FailoverChannel> {
  if (providers.length === 0) throw new Error('failover needs at least one provider');
  const now = o.now ?? (() => new Date());
  const takeOutAfter = o.takeOutAfter ?? 5;
  const window = o.window ?? 10;
  const probeAfterMs = o.probeAfterMs ?? 30_000;
  const maxProbeAfterMs = o.maxProbeAfterMs ?? 300_000;
  const maxSlotWaitMs = o.maxSlotWaitMs ?? 5_000;
  const log = o.log ?? noLog;
  const names = providers.map((p) => p.name);
  await ensureProviders(db, names);
  const locals = new Map<string, Local>();
  const fresh = (name: string): ProviderState => ({
    name, enabled: true, disabledReason: null, state: 'up', downSince: null, probeAt: null, lastError: null, lastFailureAt: null, lastSuccessAt: null,
  });
  for (const p of providers) {
    locals.set(p.name, { p, shared: fresh(p.name), recent: [], probeDelayMs: probeAfterMs, probing: false, lastNoted: 0, sent: { submitted: 0, failed: 0, faults: 0 } });
  }
  const ordered = () => providers.map((p) => locals.get(p.name)!);

  // Bumped by every local transition: a read that started before one is stale and not applied.
  let epoch = 0;
  async function refresh(): Promise<void> {
    const at = epoch;
    const rows = await readProviders(db, names);
    if (at !== epoch) return;
    for (const s of rows) {
      const l = locals.get(s.name)!;
      if (l.shared.state !== s.state) o.metrics?.providerState(s.name, s.state === 'up');
      if (s.state === 'up' && l.shared.state === 'down') l.recent = [];
      l.shared = s;
    }
  }
  await refresh();
  for (const l of ordered()) o.metrics?.providerState(l.p.name, l.shared.state === 'up');
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    refresh()
      .catch((err: unknown) => log.warn({ err }, 'reading SMS provider state failed'))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, o.syncMs ?? 1000);
        timer.unref?.();
      });
  };
  timer = setTimeout(tick, o.syncMs ?? 1000);
  timer.unref?.();

  const preferred = (): Local | undefined => ordered().find((l) => l.shared.enabled && l.shared.state === 'up') ?? ordered().find((l) => l.shared.enabled);

  async function record(l: Local, out: ProviderOutcome, probe: boolean): Promise<void> {
    const t = now();
    if (out.ok) {
      l.sent.submitted++;
      l.recent.push(false);
    } else if (out.providerFault) {
      l.sent.faults++;
      l.recent.push(true);
    } else if (!out.retry) l.sent.failed++;
    while (l.recent.length > window) l.recent.shift();
    if (out.ok && (probe || l.shared.state === 'down')) {
      epoch++;
      if (await markUp(db, l.p.name, t)) log.warn({ provider: l.p.name }, 'SMS provider answered again: back in');
      l.shared = { ...l.shared, state: 'up', downSince: null, probeAt: null, lastSuccessAt: t };
      l.recent = [];
      l.probeDelayMs = probeAfterMs;
      o.metrics?.providerState(l.p.name, true);
      return;
    }
    if (out.ok || !out.providerFault) return;
    if (probe) {
      // The probe failed: stay out, probe again later (takeProbe already moved probe_at).
      l.probeDelayMs = Math.min(l.probeDelayMs * 2, maxProbeAfterMs);
      await noteFailure(db, l.p.name, out.error, t);
      return;
    }
    const faults = l.recent.filter(Boolean).length;
    if (l.shared.state === 'up' && faults >= takeOutAfter) {
      const probeAt = new Date(t.getTime() + l.probeDelayMs);
      epoch++;
      if (await markDown(db, l.p.name, out.error, t, probeAt)) {
        log.warn({ provider: l.p.name, faults, of: l.recent.length, error: out.error, probeAt }, 'SMS provider taken out after repeated failures');
      }
      l.shared = { ...l.shared, state: 'down', downSince: t, probeAt, lastError: out.error, lastFailureAt: t };
      o.metrics?.providerState(l.p.name, false);
    } else if (t.getTime() - l.lastNoted > 1000) {
      l.lastNoted = t.getTime();
      await noteFailure(db, l.p.name, out.error, t);
    }
  }

  /** The provider a member last texted (replies go back the same way), if any. */
  async function route(row: OutboxRow): Promise<string | undefined> {
    if (row.kind !== 'reply' || providers.length < 2) return undefined;
    const r = await sql<{ provider: string | null }>`
      SELECT provider FROM inbound_messages WHERE msisdn = ${row.recipient.replace(/^\+/, '')}
      ORDER BY received_at DESC LIMIT 1`.execute(db);
    return r.rows[0]?.provider ?? undefined;
  }

  async function send(row: OutboxRow & { rateKey?: string }): Promise<SendOutcome> {
    let order = ordered().filter((l) => l.shared.enabled);
    if (order.length === 0) return { ok: false, retry: true, retryAfterMs: 10_000, error: 'every SMS provider is switched off' };
    const via = await route(row);
    if (via) order = [...order.filter((l) => l.p.name === via), ...order.filter((l) => l.p.name !== via)];
    let last: ProviderOutcome | undefined;
    let tried = 0;
    for (const l of order) {
      let probe = false;
      if (l.shared.state === 'down') {
        const t = now();
        if (!l.shared.probeAt || l.shared.probeAt > t) continue;
        if (!(await takeProbe(db, l.p.name, t, new Date(t.getTime() + l.probeDelayMs)))) continue;
        probe = true;
        log.info({ provider: l.p.name, outboxId: row.id }, 'probing SMS provider with the next text');
      }
      // Paced on another provider's schedule (a failover, a reply, a probe): take a slot of this one's.
      if (row.rateKey !== undefined && row.rateKey !== `sms:${l.p.name}`) {
        const wait = await reserveSlot(db, l.p.name, l.p.perSecond, maxSlotWaitMs);
        if (wait === undefined) {
          last = { ok: false, retry: true, retryAfterMs: 1000, error: `${l.p.name}: send schedule full; retried shortly` };
          continue;
        }
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      tried++;
      const out = await l.p.send({ id: row.id, to: row.recipient.replace(/^\+/, ''), from: l.p.number, text: row.body, attempt: row.attempts });
      await record(l, out, probe).catch((err: unknown) => log.warn({ err, provider: l.p.name }, 'recording SMS provider state failed'));
      if (out.ok) {
        o.metrics?.providerSend(l.p.name, 'submitted');
        return tried > 1 ? { ...out, note: `sent by ${l.p.name} after ${last?.ok === false ? last.error : 'a failure'}` } : out;
      }
      last = out;
      // A definite failure of the provider itself: the next provider may take it at once.
      if (out.providerFault && !out.uncertain) {
        o.metrics?.providerSend(l.p.name, 'failed_over');
        continue;
      }
      o.metrics?.providerSend(l.p.name, out.retry ? 'retried' : 'failed_permanent');
      return out;
    }
    if (last) return last;
    // Every enabled provider is out and none is due a probe: try again when the first probe falls due.
    const next = Math.min(...order.map((l) => l.shared.probeAt?.getTime() ?? Infinity));
    return { ok: false, retry: true, retryAfterMs: Number.isFinite(next) ? Math.max(1000, next - now().getTime()) : 5000, error: 'every SMS provider is out after repeated failures; waiting for a probe' };
  }

  return {
    channel: 'sms',
    send,
    pace() {
      const l = preferred() ?? ordered()[0]!;
      return { key: `sms:${l.p.name}`, perSecond: l.p.perSecond };
    },
    async states() {
      await refresh();
      const pref = preferred();
      return ordered().map((l) => ({
        ...l.shared, number: l.p.number, ratePerSecond: l.p.perSecond, preferred: l === pref,
        recentFaults: l.recent.filter(Boolean).length, sent: { ...l.sent },
      }));
    },
    async setEnabled(name, enabled, reason) {
      if (!locals.has(name)) return false;
      epoch++;
      const ok = await setEnabled(db, name, enabled, reason, now());
      await refresh();
      log.warn({ provider: name, enabled, reason }, enabled ? 'SMS provider switched on by an admin' : 'SMS provider switched off by an admin');
      return ok;
    },
    refresh,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * The providers SMS_PROVIDERS names, in its order: Vonage through the Messages API when
 * VONAGE_APPLICATION_ID is set (else the SMS API), Twilio with status callbacks to PUBLIC_URL.
 */
export function configuredProviders(config: Config): SmsProvider[] {
  return config.smsProviders.map((name): SmsProvider => {
    const perSecond = config.providerRates[name];
    if (name === 'twilio') {
      const t = config.twilio!;
      const s = createTwilioSender({ accountSid: t.accountSid, authToken: t.authTokens[0]!, number: t.number, apiBase: t.apiBase, publicUrl: config.publicUrl! });
      return { name, number: t.number, perSecond, send: (m: SmsMessage) => s.send(m) };
    }
    if (config.vonageMessages) {
      const s = createVonageMessagesSender({ ...config.vonageMessages, number: config.batsignalNumber });
      return { name, number: config.batsignalNumber, perSecond, send: (m: SmsMessage) => s.send(m) };
    }
    const s = createVonageSender(config.vonage!);
    return { name, number: config.batsignalNumber, perSecond, send: (m) => s.send(m) };
  });
}

/** The failover channel, usable at once: sends wait for its first read of the shared state. */
export function startFailover(db: Database, providers: readonly SmsProvider[], o: FailoverOptions = {}): Sender & { pace(): { key: string; perSecond: number }; stop(): Promise<void> } {
  const ready = createFailover(db, providers, o);
  let channel: FailoverChannel | undefined;
  ready.then((c) => (channel = c), () => {});
  const first = providers[0]!;
  return {
    channel: 'sms',
    send: async (row) => (await ready).send(row),
    pace: () => channel?.pace() ?? { key: `sms:${first.name}`, perSecond: first.perSecond },
    stop: async () => (await ready.catch(() => undefined))?.stop(),
  };
}
