// Frozen in time: imports nothing from src/.
// Every topic id the Discourse webhook has acted on (raised, or refused), so a topic is acted on once:
// a redelivery, or a replay after the member is added, raises nothing.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE forum_topics_seen (
    topic_id bigint PRIMARY KEY,
    seen_at  timestamptz NOT NULL
  )`.execute(db);
  // Topics raised before this table existed are seen too.
  await sql`INSERT INTO forum_topics_seen (topic_id, seen_at)
    SELECT forum_topic_id, created_at FROM alerts WHERE forum_topic_id IS NOT NULL ON CONFLICT DO NOTHING`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE forum_topics_seen`.execute(db);
}
