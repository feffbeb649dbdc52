// Shared by the delivery tests: a Vonage sender against the stand-in, a quiet log, waiting on the outbox.
import { sql } from 'kysely';
import type { Database } from '../../src/db/connect.js';
import { createVonageSender, type VonageSenderOptions } from '../../src/providers/vonage-sms/client.js';
import { smsChannel } from '../../src/providers/failover.js';
import type { DispatcherLog } from '../../src/outbox/dispatcher.js';
import type { VonageStandin } from './vonage-standin.js';

export const FROM = '447700900999';

export const quietLog: DispatcherLog & { lines: { level: string; msg: string; obj: object }[] } = {
  lines: [],
  info(obj, msg) { quietLog.lines.push({ level: 'info', msg, obj }); },
  warn(obj, msg) { quietLog.lines.push({ level: 'warn', msg, obj }); },
  error(obj, msg) { quietLog.lines.push({ level: 'error', msg, obj }); },
};

export function standinSms(v: Pick<VonageStandin, 'url' | 'apiKey' | 'apiSecret'>, opts: VonageSenderOptions = {}) {
  // The production timeout (10 s): at 2 s, a burst of 100 requests on a busy 2-core CI machine timed out and waited for receipts.
  return smsChannel(createVonageSender({ apiKey: v.apiKey, apiSecret: v.apiSecret, restHost: v.url }, { timeoutMs: 10_000, ...opts }), FROM);
}

/** Fast retries for tests: the schedule is the same shape, in milliseconds. */
export const FAST_BACKOFF = { baseMs: 10, capMs: 200, jitter: 0.5, maxAttempts: 10 };

export async function outboxStates(db: Database): Promise<Record<string, number>> {
  const r = await sql<{ state: string; n: number }>`SELECT state, count(*)::int AS n FROM outbox WHERE channel = 'sms' GROUP BY state`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
}

/** Waits until every broadcast is written (src/alerts/fanout.ts) and no SMS row is pending or sending. */
export async function settled(db: Database, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await outboxStates(db);
    const f = await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts WHERE fanout_after IS NOT NULL`.execute(db);
    if (f.rows[0]!.n > 0) s.fanout = f.rows[0]!.n;
    if (!s.pending && !s.sending && !s.fanout) return;
    if (Date.now() > until) throw new Error(`outbox not settled: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
