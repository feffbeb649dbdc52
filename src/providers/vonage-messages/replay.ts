// jti replay protection for the Messages API's signed webhooks, kept in PostgreSQL so that every
// instance and every restart agrees on what was seen. A jti is kept as long as its token could be
// accepted (MAX_TOKEN_AGE_SECONDS + skew); after that the iat check refuses the token anyway.
import { sql } from 'kysely';
import type { Database } from '../../db/connect.js';
import { MAX_CLOCK_SKEW_SECONDS, MAX_TOKEN_AGE_SECONDS } from './webhook.js';

const KEEP_SECONDS = MAX_TOKEN_AGE_SECONDS + MAX_CLOCK_SKEW_SECONDS + 60;

/** Records a jti; false when it was seen before (a replay). Prunes expired ones now and then. */
export async function firstUseOfJti(db: Database, jti: string, now: Date, random: () => number = Math.random): Promise<boolean> {
  const r = await sql<{ jti: string }>`
    INSERT INTO webhook_jtis (jti, seen_at) VALUES (${jti}, ${now})
    ON CONFLICT (jti) DO NOTHING RETURNING jti`.execute(db);
  // About one webhook in fifty clears the old ones: the table stays at a few minutes of webhooks.
  if (random() < 0.02) {
    await sql`DELETE FROM webhook_jtis WHERE seen_at < ${now}::timestamptz - ${KEEP_SECONDS}::int * interval '1 second'`.execute(db);
  }
  return r.rows.length === 1;
}

/** Forgets a jti whose webhook failed on our side (500), so Vonage's retry with the same token is taken. */
export async function forgetJti(db: Database, jti: string): Promise<void> {
  await sql`DELETE FROM webhook_jtis WHERE jti = ${jti}`.execute(db);
}
