// Frozen in time: imports nothing from src/.
// One alert per forum topic: a topic raised from the forum (or posted for an alert) belongs to
// exactly one alert, so a repeated webhook delivery cannot raise the same topic twice.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE UNIQUE INDEX alerts_forum_topic ON alerts (forum_topic_id) WHERE forum_topic_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX alerts_forum_topic`.execute(db);
}
