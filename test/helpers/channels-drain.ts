// Drives a Sender over its outbox rows the way a dispatcher applies outcomes, with time
// passed in: the forum and email tests control when a retry is due instead of waiting for it.
import { sql } from 'kysely';
import type { Database } from '../../src/db/connect.js';
import type { Channel, OutboxRow } from '../../src/db/schema.js';
import type { Sender } from '../../src/outbox/channel.js';

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  /** retryAfterMs the sender asked for, in order. */
  waits: (number | undefined)[];
}

/** Sends every due pending row of the sender's channel once; retries are due at now + wait (default 1 s << attempts). */
export async function drainOnce(db: Database, sender: Sender, now: Date): Promise<DrainResult> {
  const due = await db
    .selectFrom('outbox')
    .selectAll()
    .where('channel', '=', sender.channel as Channel)
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('id')
    .execute();
  const r: DrainResult = { sent: 0, retried: 0, failed: 0, waits: [] };
  for (const row of due) {
    await db.updateTable('outbox').set({ state: 'sending' }).where('id', '=', row.id).execute();
    const out = await sender.send(row as OutboxRow);
    if (out.ok) {
      r.sent++;
      await db.updateTable('outbox').set({ state: 'sent', sent_at: now, provider_id: out.providerId ?? null, attempts: sql`attempts + 1`, last_error: out.note ?? null }).where('id', '=', row.id).execute();
    } else if (out.retry) {
      r.retried++;
      r.waits.push(out.retryAfterMs);
      const wait = out.retryAfterMs ?? 1000 * 2 ** row.attempts;
      await db
        .updateTable('outbox')
        .set({ state: 'pending', attempts: sql`attempts + 1`, last_error: out.error, next_attempt_at: new Date(now.getTime() + wait) })
        .where('id', '=', row.id)
        .execute();
    } else {
      r.failed++;
      await db.updateTable('outbox').set({ state: 'failed', attempts: sql`attempts + 1`, last_error: out.error }).where('id', '=', row.id).execute();
    }
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
      .where('channel', '=', sender.channel as Channel)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (!next?.at) return now;
    now = new Date(Math.max(now.getTime(), new Date(next.at as Date).getTime()));
  }
  throw new Error(`${sender.channel} rows still pending after ${maxRounds} rounds`);
}

export async function rowsOf(db: Database, channel: Channel, alertNumber: number) {
  return db.selectFrom('outbox').selectAll().where('channel', '=', channel).where('alert_number', '=', alertNumber).orderBy('id').execute();
}
