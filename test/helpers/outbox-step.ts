// One pass of the real dispatcher over a channel, with time passed in: the same claim, start,
// decision (backoff, Retry-After, receipt grace) and fenced completion the dispatcher runs
// (src/outbox/), so the forum and email tests control when a retry is due instead of waiting.
import type { Database } from '../../src/db/connect.js';
import type { Channel } from '../../src/db/schema.js';
import type { Sender } from '../../src/outbox/channel.js';
import { claimDue, startSending } from '../../src/outbox/claim.js';
import { recordOutcomes } from '../../src/outbox/complete.js';
import { decideOutcome } from '../../src/outbox/dispatcher.js';
import { OTHER_CHANNEL_BACKOFF, OTHER_CHANNEL_LEASE_MS } from '../../src/workers.js';

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  /** retryAfterMs the sender asked for, in order. */
  waits: (number | undefined)[];
}

/** The forum/email policy as workers.ts sets it, without jitter so the tests know when a retry is due. */
const POLICY = { backoff: OTHER_CHANNEL_BACKOFF, receiptGraceMs: 30_000, random: () => 0 };

/** Claims every due row of the sender's channel at `now`, sends each once and records the outcomes at `now`. */
export async function drainOnce(db: Database, sender: Sender, now: Date): Promise<DrainResult> {
  const claimed = await claimDue(db, sender.channel, { limit: 10_000, leaseMs: OTHER_CHANNEL_LEASE_MS }, now);
  const started = await startSending(db, claimed, OTHER_CHANNEL_LEASE_MS, now);
  const r: DrainResult = { sent: 0, retried: 0, failed: 0, waits: [] };
  for (const row of claimed) {
    if (!started.includes(row)) throw new Error(`row ${row.id} claimed but not started`);
    const out = await sender.send(row);
    const outcome = decideOutcome(row, out, POLICY);
    if (outcome.kind === 'sent') r.sent++;
    else if (outcome.kind === 'failed') r.failed++;
    else {
      r.retried++;
      if (!out.ok) r.waits.push(out.retryAfterMs);
    }
    await recordOutcomes(db, [outcome], now);
  }
  return r;
}

/** Drains until nothing is pending, moving the clock to the next due row each round. */
export async function drainAll(db: Database, sender: Sender, start: Date, maxRounds = 20): Promise<Date> {
  let now = start;
  for (let i = 0; i < maxRounds; i++) {
    await drainOnce(db, sender, now);
    const next = await db
      .selectFrom('outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('channel', '=', sender.channel)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (!next?.at) return now;
    now = new Date(Math.max(now.getTime(), new Date(next.at).getTime()));
  }
  throw new Error(`${sender.channel} rows still pending after ${maxRounds} rounds`);
}

export async function rowsOf(db: Database, channel: Channel, alertNumber: number) {
  return db.selectFrom('outbox').selectAll().where('channel', '=', channel).where('alert_number', '=', alertNumber).orderBy('id').execute();
}
