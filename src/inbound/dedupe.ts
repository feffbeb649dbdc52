// Exactly-once for inbound texts: a per-sender lock, then messageId as the primary key.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
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

// A sender key as a SQL literal needs no escaping when it is made of these (senderKey(): digits, or
// an alphanumeric sender id); anything else takes the parameterised lock, one round trip more.
const PLAIN_KEY = /^[A-Za-z0-9 +_.-]{1,64}$/;

/**
 * Runs `fn` in a transaction that holds this sender's lock (lockSender) from its first statement:
 * BEGIN and the lock go to PostgreSQL as one simple-protocol query (two statements, one round trip;
 * the lock is still a statement of its own, so what follows it takes its snapshot after the wait).
 * Every statement is a socket write and a wake-up on this machine: an ACK was 7 round trips with
 * BEGIN and the lock apart, 6 with them together (scratch/count.ts, pg.Client.query counted).
 * Commits when `fn` returns, rolls back (and rethrows) when it throws, as db.transaction() does.
 */
export async function inSenderTransaction<T>(db: Database, msisdn: string, fn: (trx: Tx) => Promise<T>): Promise<T> {
  const key = 'inbound:' + msisdn;
  return db.connection().execute(async (conn) => {
    // A Kysely bound to one connection inside BEGIN ... COMMIT is what Transaction is; the type
    // only also forbids nesting (nothing here nests).
    const trx = conn as unknown as Tx;
    let result: T;
    try {
      if (PLAIN_KEY.test(msisdn)) {
        await sql.raw(`BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('${key}', 0))`).execute(conn);
      } else {
        await sql.raw('BEGIN').execute(conn);
        await lockSender(trx, msisdn);
      }
      result = await fn(trx);
    } catch (err) {
      // Also when the lock failed after BEGIN: the connection goes back to the pool outside a transaction.
      await sql.raw('ROLLBACK').execute(conn).catch(() => {});
      throw err;
    }
    await sql.raw('COMMIT').execute(conn);
    return result;
  });
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
