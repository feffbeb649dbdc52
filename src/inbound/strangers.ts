// Numbers that are not members: at most one reply per 24 hours, and never a conversation.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import { enqueueSms } from '../outbox/write.js';

export const STRANGER_REPLY = 'This number is for registered NHS Batsignal members only. Ask a Batsignal admin to register your number.';
export const STRANGER_REPLY_INTERVAL_HOURS = 24;

/**
 * Queues the one reply a stranger may get, when the last one is at least 24 hours old.
 * One statement decides it, so two instances cannot both reply.
 */
export async function replyToStranger(trx: Tx, phone: string, now: Date): Promise<boolean> {
  const claimed = await sql<{ phone: string }>`
    INSERT INTO stranger_replies (phone, last_reply_at) VALUES (${phone}, ${now})
    ON CONFLICT (phone) DO UPDATE SET last_reply_at = EXCLUDED.last_reply_at
      WHERE stranger_replies.last_reply_at <= EXCLUDED.last_reply_at - make_interval(hours => ${STRANGER_REPLY_INTERVAL_HOURS})
    RETURNING phone`.execute(trx);
  if (claimed.rows.length === 0) return false;
  await enqueueSms(trx, [{ memberId: null, to: phone, body: STRANGER_REPLY, kind: 'reply' }]);
  return true;
}
