// One dispatcher loop per channel: claims due rows (src/outbox/claim.ts), sends each at its rate
// slot with several requests in flight, and records outcomes in batches (src/outbox/complete.ts).
// Loops are independent, so a slow forum or mail server never holds up the texts.
import type { Database } from '../db/connect.js';
import type { OutboxRow } from '../db/schema.js';
import type { Sender, SendOutcome } from './channel.js';
import { claimDue, reclaimExpired, releaseUnsent, renewClaims, startSending, type ClaimedRow } from './claim.js';
import { createCompleter, type Outcome } from './complete.js';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from './backoff.js';
import { ratePlan } from './rate.js';
import { noopMetrics, type Metrics, type SendResult } from '../metrics/registry.js';
import { scrubForLog } from '../logging.js';

export interface DispatcherLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DispatcherOptions {
  /** Sends per second across every instance on this database; 0 or absent: no limit. */
  ratePerSecond?: number;
  /** Requests in flight at once (provider latency x rate needs this many). */
  concurrency?: number;
  /**
   * Unlimited rate only. false (default): claim just what the free requests take and start it in
   * the claim. true: also claim a batch ahead and queue it (each row then started by startSending):
   * a row whose attempt failed is claimed again as soon as its backoff ends, ahead of its turn to
   * be sent (email: test/hanging-channels.test.ts counts those re-claims while the server hangs).
   */
  claimAhead?: boolean;
  /** Most rows claimed at once (unlimited rate). */
  batch?: number;
  /** A started row not recorded by then is taken back by any dispatcher (its owner died or stalled). */
  leaseMs?: number;
  /**
   * A claimed row not started by its slot plus this margin is taken back (and sent at once by
   * whoever claims it next): a dead instance's claimed-ahead rows wait seconds, not the lease.
   */
  startMarginMs?: number;
  /** A reclaimed row, or one whose send may have gone (timeout), waits this long for a receipt first. */
  receiptGraceMs?: number;
  /** Fallback poll when no notification comes (retries falling due, lost notifications). */
  pollMs?: number;
  /** How often expired leases are looked for. */
  reclaimEveryMs?: number;
  flushMs?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Counts each provider call by result (the server shares one Metrics between app and workers). */
  metrics?: Metrics;
  /** The time every outbox statement is given (default: the node clock). */
  clock?: () => Date;
}

export interface Dispatcher {
  readonly channel: string;
  /** Claim now (a notification or a test). */
  wake(): void;
  /** Stops claiming, finishes requests in flight, records them and gives back rows never sent. */
  stop(): Promise<void>;
  stats(): { sent: number; retried: number; failed: number; inFlight: number };
}

/**
 * What a provider's answer means for the row (pure): sent; failed for good; or a retry after the
 * backoff (longer if the provider asked), at least the receipt grace when the send may have gone.
 */
export function decideOutcome(
  row: Pick<OutboxRow, 'id' | 'attempts'>,
  out: SendOutcome,
  p: { backoff: BackoffPolicy; receiptGraceMs: number; random: () => number },
): Outcome {
  const base = { id: row.id, attempts: row.attempts };
  if (out.ok) return { ...base, kind: 'sent', providerId: out.providerId ?? null, note: out.note ?? null };
  if (!out.retry) return { ...base, kind: 'failed', error: out.error };
  if (out.waiting) return { ...base, kind: 'wait', delayMs: Math.max(out.retryAfterMs ?? 0, p.backoff.baseMs), error: out.error };
  if (row.attempts >= p.backoff.maxAttempts) return { ...base, kind: 'failed', error: `gave up after ${row.attempts} attempts: ${out.error}` };
  let delayMs = retryDelayMs(row.attempts, out.retryAfterMs, p.backoff, p.random);
  if (out.uncertain) delayMs = Math.max(delayMs, p.receiptGraceMs);
  return { ...base, kind: 'retry', delayMs, error: out.error };
}

// concurrency 100: a real provider's ~200 ms latency at 30/s needs only ~6. Against the zero-latency
// stand-in the instance's CPU bounds throughput, not the requests in flight: ~195 us per text with
// the Vonage SMS client over our keep-alive transport (420-560 with the SDK's fetch; bench/delivery.bench.ts
// section 2, 2026-11-30, load 4-8); 20-40 in flight cost 10-20% less CPU per SDK fetch than 100 (noisy).
const DEFAULTS = { concurrency: 100, batch: 200, leaseMs: 30_000, startMarginMs: 2_000, receiptGraceMs: 30_000, pollMs: 250, reclaimEveryMs: 1_000, flushMs: 5 };

export function startDispatcher(db: Database, sender: Sender, log: DispatcherLog, options: DispatcherOptions = {}): Dispatcher {
  const o = { ...DEFAULTS, ...options };
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const metrics = options.metrics ?? noopMetrics;
  const channel = sender.channel;
  // The sender may change its pace (SMS failover to a provider with another rate): read before each claim.
  const paceNow = () => sender.pace?.() ?? { key: channel, perSecond: o.ratePerSecond ?? 0 };
  let pace = paceNow();
  let plan = ratePlan(pace.perSecond, o.batch);
  const clock = options.clock ?? (() => new Date());
  const completer = createCompleter(db, { flushMs: o.flushMs, clock, onError: (err) => log.error({ err, channel }, 'recording send outcomes failed; will retry') });
  // A claim holds its rows until their slots (at most the horizon plus a batch of slots ahead) plus
  // the margin; starting a row renews its lease to leaseMs for the provider call.
  const claimLeaseMs = () => Math.min(o.leaseMs, (plan.intervalMs === undefined ? 0 : plan.horizonMs + plan.batch * plan.intervalMs) + o.startMarginMs);

  const ready: ClaimedRow[] = []; // slot reached, waiting for a free request
  const waiting = new Map<string, { row: ClaimedRow; timer: NodeJS.Timeout }>(); // slot not yet reached
  const inFlight = new Set<Promise<void>>();
  let starting: ClaimedRow[] = []; // slot reached, being marked started (one statement at a time)
  let startRunning: Promise<void> | undefined;
  const counts = { sent: 0, retried: 0, failed: 0 };
  let claiming = false;
  let again = false;
  let stopping = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let lastReclaim = 0;

  const outstanding = () => ready.length + waiting.size + inFlight.size + starting.length;
  // Unlimited (just in time): claims take only what free requests can send at once, and start it
  // in the same statement (claimDue's `start`): no queue, no startSending, one row update fewer
  // per text (PostgreSQL CPU per text 106-147 -> 77-84 us, null-sender A/B, load 6-7). Unlimited
  // with claimAhead: keep about two batches' worth going. Limited: the schedule paces us; the
  // claim's horizon keeps the local queue to about half a second of slots.
  const justInTime = () => plan.intervalMs === undefined && !o.claimAhead;
  const room = () => (justInTime() ? o.concurrency : plan.intervalMs === undefined ? o.concurrency + o.batch : o.concurrency * 4) - outstanding();
  // Unlimited: claim again once a quarter of the requests are free (just in time; at concurrency
  // 100, claims of ~25-40 rows while the other requests keep going) or half a batch has room.
  const refill = () => (justInTime() ? Math.max(1, Math.floor(Math.min(plan.batch, o.concurrency) / 4)) : plan.batch / 2);
  const topUp = () => {
    if (plan.intervalMs === undefined && room() >= refill()) pump();
  };

  const decide = (row: OutboxRow, out: SendOutcome): Outcome => decideOutcome(row, out, { backoff, receiptGraceMs: o.receiptGraceMs, random });

  async function sendOne(row: ClaimedRow): Promise<void> {
    let out: SendOutcome;
    try {
      out = await sender.send(row);
    } catch (err) {
      // A sender should answer with an outcome; one that throws gets a retry, as if unreachable.
      out = { ok: false, retry: true, uncertain: true, error: `sender threw: ${err instanceof Error ? err.message : String(err)}` };
    }
    const outcome = decide(row, out);
    const again = outcome.kind === 'retry' || outcome.kind === 'wait';
    counts[outcome.kind === 'sent' ? 'sent' : again ? 'retried' : 'failed']++;
    const result: SendResult = outcome.kind === 'sent' ? 'submitted' : again ? 'retried' : 'failed_permanent';
    metrics.send(channel, result);
    // One line per send: which alert and outbox row (deliveries.sms_outbox_id), never the recipient or text.
    const facts = { channel, outboxId: row.id, alert: row.alert_number, kind: row.kind, attempts: row.attempts, outcome: result };
    if (outcome.kind === 'failed') log.warn({ ...facts, error: scrubForLog(outcome.error) }, 'send failed for good');
    else if (again) log.info({ ...facts, error: scrubForLog(outcome.error), retryInMs: Math.round(outcome.delayMs) }, 'send');
    else log.info(facts, 'send');
    completer.add(outcome);
  }

  function launch(row: ClaimedRow): void {
    const p: Promise<void> = sendOne(row).finally(() => {
      inFlight.delete(p);
      drain();
      // Unlimited: top up when a quarter of the requests are free. Limited: the poll keeps the schedule full.
      topUp();
    });
    inFlight.add(p);
  }

  // Rows due now are marked started in one statement (fenced on their lease) before any is sent;
  // while it runs, more rows gather for the next, so at full speed one statement covers many rows.
  function drain(): void {
    if (startRunning || stopping) return;
    const free = o.concurrency - inFlight.size;
    if (ready.length === 0 || free <= 0) return;
    starting = ready.splice(0, free);
    const group = starting;
    startRunning = startSending(db, group, o.leaseMs, clock())
      .then(
        (started) => {
          const lost = group.length - started.length;
          if (lost > 0) log.warn({ channel, rows: lost }, 'claimed rows taken back before their send started: not sent here');
          starting = [];
          startRunning = undefined;
          for (const row of started) launch(row);
        },
        (err: unknown) => {
          // Not started, not sent: their claim lease runs out and any dispatcher takes them back at once.
          log.error({ err, channel, rows: group.length }, 'marking rows started failed; they go back when their claim lease ends');
          starting = [];
          startRunning = undefined;
        },
      )
      .finally(() => {
        drain();
        topUp();
      });
  }

  // Rows waiting in `ready` for a free request keep their claim: every half margin their lease is
  // renewed (one statement). Without it a slow provider let queued claims lapse; the dispatcher took
  // its own rows back and claimed them again, an attempt burned each time.
  let renewing: Promise<void> | undefined;
  function renew(): void {
    if (renewing || stopping || ready.length === 0) return;
    const group = [...ready];
    renewing = renewClaims(db, group, o.startMarginMs, clock())
      .then((kept) => {
        if (kept.length === group.length) return;
        // Only rows still queued here: one that moved on to be started meanwhile is not renewable, not lost.
        const keep = new Set(kept);
        const gone = new Set(group.filter((row) => !keep.has(row)));
        const before = ready.length;
        for (let i = ready.length - 1; i >= 0; i--) if (gone.has(ready[i]!)) ready.splice(i, 1);
        if (ready.length < before) log.warn({ channel, rows: before - ready.length }, 'queued rows were taken back before their send started: not sent here');
      })
      .catch((err: unknown) => log.error({ err, channel }, 'renewing claims failed; their lease may run out'))
      .finally(() => (renewing = undefined));
  }
  const renewTimer = setInterval(renew, Math.max(50, o.startMarginMs / 2));
  renewTimer.unref?.();

  function schedule(rows: ClaimedRow[]): void {
    for (const row of rows) {
      if (row.sendInMs <= 1) {
        ready.push(row);
        continue;
      }
      const timer = setTimeout(() => {
        waiting.delete(row.id);
        ready.push(row);
        drain();
      }, row.sendInMs);
      waiting.set(row.id, { row, timer });
    }
    drain();
  }

  async function claimLoop(): Promise<void> {
    if (Date.now() - lastReclaim > o.reclaimEveryMs) {
      lastReclaim = Date.now();
      const n = await reclaimExpired(db, channel, o.receiptGraceMs, clock());
      if (n > 0) log.warn({ channel, rows: n, graceMs: o.receiptGraceMs }, 'took back rows whose lease expired');
    }
    while (!stopping) {
      if (sender.pace) {
        pace = paceNow();
        plan = ratePlan(pace.perSecond, o.batch);
      }
      const limit = Math.min(plan.batch, room());
      if (limit <= 0) return;
      const jit = justInTime();
      const rows = await claimDue(
        db,
        channel,
        jit
          ? { limit, leaseMs: o.leaseMs, start: true }
          : { limit, leaseMs: claimLeaseMs(), intervalMs: plan.intervalMs, horizonMs: plan.horizonMs, rateKey: pace.key },
        clock(),
      );
      if (stopping) {
        // Claimed (and, just in time, marked started) but never handed to the provider: give them back.
        await releaseUnsent(db, rows);
        return;
      }
      // Just in time: started by the claim, sent now (as startSending's answer is in drain()).
      if (jit) for (const row of rows) launch(row);
      else schedule(rows);
      if (rows.length < limit) return; // drained (or the shared schedule is full for now)
    }
  }

  function pump(): void {
    if (stopping) return;
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    claimLoop()
      .catch((err: unknown) => log.error({ err, channel }, 'claiming outbox rows failed'))
      .finally(() => {
        claiming = false;
        if (again && !stopping) {
          again = false;
          pump();
        }
      });
  }

  // Limited: poll at least twice per batch of slots, so the shared schedule never runs dry.
  const pollMs = () => (plan.intervalMs === undefined ? o.pollMs : Math.max(10, Math.min(o.pollMs, (plan.batch * plan.intervalMs) / 2)));
  const poll = () => {
    pump();
    pollTimer = setTimeout(poll, pollMs());
    pollTimer.unref?.();
  };
  poll();

  return {
    channel,
    wake: pump,
    stats: () => ({ ...counts, inFlight: inFlight.size }),
    async stop() {
      stopping = true;
      if (pollTimer) clearTimeout(pollTimer);
      clearInterval(renewTimer);
      await renewing;
      while (claiming) await new Promise((r) => setTimeout(r, 5));
      // A start statement in flight finishes first: its rows are then sent, or were never ours.
      await startRunning;
      const unsent = [...ready, ...[...waiting.values()].map((w) => w.row)];
      for (const w of waiting.values()) clearTimeout(w.timer);
      waiting.clear();
      ready.length = 0;
      await Promise.allSettled([...inFlight]);
      await completer.flush();
      await releaseUnsent(db, unsent).catch((err: unknown) => log.error({ err, channel }, 'giving back unsent rows failed (their lease will expire)'));
    },
  };
}
