// Numbers that are not members: at most one reply per number per 24 hours, at most
// config.strangerRepliesPerHour replies an hour in all, queued behind every broadcast
// (PRIORITY_STRANGER), and never a conversation. A flood from many numbers therefore costs at
// most that many texts an hour, and none of them goes ahead of an alert.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import { enqueueReplies, PRIORITY_STRANGER } from '../outbox/write.js';

export const STRANGER_REPLY = 'This number is for registered NHS Batsignal members only. Ask a Batsignal admin to register your number.';
export const STRANGER_REPLY_INTERVAL_HOURS = 24;

export type StrangerReply = 'replied' | 'suppressed' | 'over_global_cap';

/**
 * Queues the one reply a stranger may get, when their last one is at least 24 hours old and fewer
 * than `perHour` replies went to strangers in the last hour. The caller holds this number's sender
 * lock; a transaction-scoped lock serialises the global count (only texts that would be answered
 * take it), so two instances cannot both take the last place.
 */
export async function replyToStranger(trx: Tx, phone: string, now: Date, perHour: number): Promise<StrangerReply> {
  const last = await trx.selectFrom('stranger_replies').select('last_reply_at').where('phone', '=', phone).executeTakeFirst();
  if (last && now.getTime() - last.last_reply_at.getTime() < STRANGER_REPLY_INTERVAL_HOURS * 3600_000) return 'suppressed';
  await sql`SELECT pg_advisory_xact_lock(hashtextextended('inbound:strangers', 0))`.execute(trx);
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM stranger_replies
     WHERE last_reply_at > ${now}::timestamptz - interval '1 hour' AND last_reply_at <= ${now}`.execute(trx);
  if (rows[0]!.n >= perHour) return 'over_global_cap';
  await sql`
    INSERT INTO stranger_replies (phone, last_reply_at) VALUES (${phone}, ${now})
    ON CONFLICT (phone) DO UPDATE SET last_reply_at = EXCLUDED.last_reply_at`.execute(trx);
  await enqueueReplies(trx, [{ memberId: null, to: phone, body: STRANGER_REPLY, kind: 'reply', priority: PRIORITY_STRANGER }], now);
  return 'replied';
}
