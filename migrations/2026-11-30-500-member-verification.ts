// Frozen in time: imports nothing from src/.
// Number verification: a new member is texted a welcome asking them to reply JOIN; the reply marks
// the number verified. welcomed_at: when the welcome was last queued (none before this migration).
// Members who have already acknowledged an alert have shown their number reaches them and that
// they answer from it: they count as verified from their first acknowledgement.
// The index serves "the last final outcome of a text to this member" (undeliverable numbers).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE members ADD COLUMN verified_at timestamptz, ADD COLUMN welcomed_at timestamptz;
    UPDATE members m SET verified_at = d.first_ack
      FROM (SELECT member_id, min(acked_at) AS first_ack FROM deliveries WHERE acked_at IS NOT NULL GROUP BY member_id) d
      WHERE d.member_id = m.id;
    CREATE INDEX outbox_member_sms ON outbox (member_id, id) WHERE channel = 'sms' AND member_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX outbox_member_sms;
    ALTER TABLE members DROP COLUMN verified_at, DROP COLUMN welcomed_at;
  `.execute(db);
}
