// Exactly-once for inbound texts: a per-sender lock, then messageId as the primary key.
import { sql } from 'kysely';
import { DEFERRED, type Database, type Tx } from '../db/connect.js';
import type { InboundOutcome } from '../db/schema.js';
import type { InboundSms } from './message.js';

/**
 * Serialises everything about one sender for the rest of the transaction, across instances:
 * two texts from one member are handled one after the other, in arrival order of the lock.
 * The key is a 64-bit hash of the msisdn; a collision only makes two senders wait for each other.
 * `deferred`: sent with the transaction's next statement (DEFERRED, src/db/connect.ts).
 */
export async function lockSender(trx: Tx, msisdn: string, opts: { deferred?: boolean } = {}): Promise<void> {
  await sql`${sql.raw(opts.deferred ? DEFERRED : '')} SELECT pg_advisory_xact_lock(hashtextextended(${'inbound:' + msisdn}, 0))`.execute(trx);
}

/**
 * Runs `fn` in a transaction that holds this sender's lock (lockSender) from its first statement.
 * BEGIN and the lock are DEFERRED (src/db/connect.ts): they go to PostgreSQL with fn's first
 * statement, in one round trip, each statement still on its own (the one after the lock takes its
 * snapshot once the lock is held). fn's last DEFERRED statement (a reply) goes with COMMIT. An ACK
 * was 7 round trips with BEGIN and the lock apart, 4 with BEGIN and the lock as one simple query and
 * its reply apart from COMMIT, 2 now (test/ack-intake.test.ts counts them).
 * Commits when `fn` returns, rolls back (and rethrows) when it or the COMMIT throws, as db.transaction() does.
 */
export async function inSenderTransaction<T>(db: Database, msisdn: string, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    // A Kysely bound to one connection inside BEGIN ... COMMIT is what Transaction is; the type
    // only also forbids nesting (nothing here nests).
    const trx = conn as unknown as Tx;
    try {
      await sql.raw(`${DEFERRED} BEGIN`).execute(conn);
      await lockSender(trx, msisdn, { deferred: true });
      const result = await fn(trx);
      // A deferred statement that fails fails the COMMIT it goes with: the catch rolls back.
      await sql.raw('COMMIT').execute(conn);
      return result;
    } catch (err) {
      // Also when the lock failed after BEGIN: the connection goes back to the pool outside a transaction.
      await sql.raw('ROLLBACK').execute(conn).catch(() => {});
      throw err;
    }
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
