// Frozen in time: imports nothing from src/.
//
// started_at: when the dispatcher that holds a row's lease handed it to the provider (set, fenced
// on the lease, just before the provider call; cleared by each claim). A row whose lease ran out
// without it was never sent and goes back at once; only a started row may have reached the
// provider and waits for a receipt (src/outbox/claim.ts reclaimExpired).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE outbox ADD COLUMN started_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE outbox DROP COLUMN started_at`.execute(db);
}
