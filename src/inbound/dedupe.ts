// Exactly-once for inbound texts: a per-sender lock, then messageId as the primary key.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import type { InboundOutcome } from '../db/schema.js';
import type { InboundSms } from './message.js';

/**
 * Serialises everything about one sender for the rest of the transaction, across instances:
 * two texts from one member are handled one after the other, in arrival order of the lock.
 * The key is a 64-bit hash of the msisdn; a collision only makes two senders wait for each other.
 */
export async function lockSender(trx: Tx, msisdn: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${'inbound:' + msisdn}, 0))`.execute(trx);
}

/**
 * Records the text; false when this messageId was seen before (a Vonage retry, or a copy that
 * arrived at the same instant: ON CONFLICT waits for the other transaction, then does nothing).
 */
export async function recordInbound(trx: Tx, sms: InboundSms, outcome: InboundOutcome, now: Date): Promise<boolean> {
  const rows = await trx
    .insertInto('inbound_messages')
    .values({
      message_id: sms.messageId,
      msisdn: sms.msisdn,
      text: sms.text,
      type: sms.type,
      concat_ref: sms.concat?.ref ?? null,
      concat_part: sms.concat?.part ?? null,
      concat_total: sms.concat?.total ?? null,
      outcome,
      received_at: now,
      provider: sms.provider ?? 'vonage',
    })
    .onConflict((oc) => oc.column('message_id').doNothing())
    .returning('message_id')
    .execute();
  return rows.length === 1;
}
