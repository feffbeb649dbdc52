// The conversation's SQL: its persisted state per member, and the facts step() may need.
import { sql } from 'kysely';
import { PREPARED, type Tx } from '../db/connect.js';
import { asState, IDLE, type ConversationState } from './machine.js';

/** The member's conversation state, idle if none. The caller holds the per-sender lock. */
export async function loadConversation(trx: Tx, memberId: number): Promise<ConversationState> {
  const row = await trx.selectFrom('conversations').select('state').where('member_id', '=', memberId).executeTakeFirst();
  return row ? asState(row.state) : IDLE;
}

/** Idle is kept as a row too: one upsert whatever the state, and updated_at shows the last step. */
export async function saveConversation(trx: Tx, memberId: number, state: ConversationState, now: Date): Promise<void> {
  // Prepared (src/db/connect.ts), as every step of a raise saves: planned once per connection.
  await sql`${sql.raw(PREPARED)}
    INSERT INTO conversations (member_id, state, updated_at) VALUES (${memberId}, ${JSON.stringify(state)}, ${now})
    ON CONFLICT (member_id) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`.execute(trx);
}

/** Alerts this member raised in the hour before now (exercises included). */
export async function raisesInLastHour(trx: Tx, memberId: number, now: Date): Promise<number> {
  const r = await sql<{ n: number }>`${sql.raw(PREPARED)}
    SELECT count(*)::int AS n FROM alerts
    WHERE raised_by = ${memberId} AND created_at > ${now}::timestamptz - interval '1 hour'`.execute(trx);
  return r.rows[0]!.n;
}

/** STOP/START. opted_out_at keeps the time of the first STOP of a run, for the admin list. */
export async function setOptedOut(trx: Tx, memberId: number, optedOut: boolean, now: Date): Promise<void> {
  await sql`
    UPDATE members SET
      opted_out = ${optedOut},
      opted_out_at = CASE WHEN ${optedOut} THEN coalesce(CASE WHEN opted_out THEN opted_out_at END, ${now}::timestamptz) ELSE NULL END,
      updated_at = ${now}
    WHERE id = ${memberId}`.execute(trx);
}
