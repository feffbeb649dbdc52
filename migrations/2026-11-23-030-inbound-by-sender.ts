// Frozen in time: imports nothing from src/.
// The inbound edge counts a sender's recent texts (loop protection) on every webhook.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX inbound_by_sender ON inbound_messages (msisdn, received_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX inbound_by_sender`.execute(db);
}
