// Frozen in time: imports nothing from src/.
//
// A large broadcast is written in batches after its alert commits (src/alerts/fanout.ts): the alert
// and its first 1,000 recipients in the deciding transaction, the rest by the fan-out worker, one
// batch per transaction. fanout_after: the last member id written so far while more may remain;
// NULL once the fan-out is complete (every alert before this migration is complete).
//
// outbox_member_sms indexed every text at enqueue (100,000 index entries per broadcast, 7.5 MB of
// the 86.8 MB of WAL a 100,000-member enqueue wrote here) to answer "the last final outcome of a
// text to this member". Indexing only final rows answers the same question; the entry is made when
// the row becomes final (an update that already writes every index of the row).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE alerts ADD COLUMN fanout_after integer;
    CREATE INDEX alerts_fanout_pending ON alerts (number) WHERE fanout_after IS NOT NULL;
    DROP INDEX outbox_member_sms;
    CREATE INDEX outbox_member_final ON outbox (member_id, id)
      WHERE channel = 'sms' AND member_id IS NOT NULL
        AND (state = 'failed' OR receipt_status IN ('delivered', 'failed', 'rejected', 'expired'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX outbox_member_final;
    CREATE INDEX outbox_member_sms ON outbox (member_id, id) WHERE channel = 'sms' AND member_id IS NOT NULL;
    DROP INDEX alerts_fanout_pending;
    ALTER TABLE alerts DROP COLUMN fanout_after;
  `.execute(db);
}
