// Frozen in time: imports nothing from src/.
// Replies to unknown numbers are capped per hour in all: the inbound edge counts the last hour's.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX stranger_replies_recent ON stranger_replies (last_reply_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX stranger_replies_recent`.execute(db);
}
