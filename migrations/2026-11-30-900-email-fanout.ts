// Frozen in time: imports nothing from src/.
//
// An alert's emails follow its texts' batches (src/alerts/fanout.ts): the deciding transaction
// writes the emails of the members its first batch covers, each worker batch those of its range.
// Writing every email in the deciding transaction held a 100,000-member CONFIRM for 0.95-1.34 s
// (59-80 ms without email; machine PostgreSQL). email_fanout: the
// fan-out still to be written includes emails; only while fanout_after is set.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE alerts ADD COLUMN email_fanout boolean NOT NULL DEFAULT false,
      ADD CONSTRAINT alerts_email_fanout_pending CHECK (NOT email_fanout OR fanout_after IS NOT NULL);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE alerts DROP CONSTRAINT alerts_email_fanout_pending, DROP COLUMN email_fanout`.execute(db);
}
