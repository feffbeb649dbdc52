// Number verification: a new member gets one welcome text asking them to reply JOIN; the reply marks
// the number verified (src/conversation: the JOIN command). Verification never blocks alerts: an
// unverified member gets every alert as before; admins see who has not replied, and whose last text
// failed, on the members page (src/web/members.ts) and can send the welcome again.
// JOIN, not YES: YES answers the raise conversation's threshold question, and a member who has just
// been added might be asked it (docs/conversation.md).
import { sql, type RawBuilder } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
import { welcomeRowsFrom } from '../outbox/write.js';

/** One SMS part, plain GSM-7 (test/verification.test.ts checks both). */
export const WELCOME_TEXT =
  'Welcome to Batsignal, the NHS cyber alert network. Alerts will come from this number. Reply JOIN to confirm this is your phone. STOP to opt out.';

/**
 * Queues the welcome for these members in the caller's transaction (the one that added them), in
 * one statement. Automatic sends (`resend` false) go once per number: only to members never
 * welcomed. Never to a member who has opted out (STOP). Returns the members texted.
 */
export async function queueWelcomes(trx: Tx, memberIds: readonly number[], now: Date, opts: { resend?: boolean } = {}): Promise<number[]> {
  if (memberIds.length === 0) return [];
  const once: RawBuilder<unknown> = opts.resend ? sql`true` : sql`m.welcomed_at IS NULL`;
  const r = await sql<{ id: string; member_id: number }>`
    WITH w AS (
      UPDATE members m SET welcomed_at = ${now}
      WHERE m.id = ANY(${[...memberIds]}::int[]) AND NOT m.opted_out AND ${once}
      RETURNING m.id, m.phone
    )
    ${welcomeRowsFrom(now, sql`SELECT w.id AS member_id, w.phone AS recipient, ${WELCOME_TEXT}::text AS body FROM w ORDER BY w.id`)}`.execute(trx);
  return r.rows.map((row) => row.member_id);
}

/** JOIN from a member: 'verified' the first time, 'already' after. */
export async function markVerified(trx: Tx, memberId: number, now: Date): Promise<'verified' | 'already'> {
  const r = await trx.updateTable('members').set({ verified_at: now }).where('id', '=', memberId).where('verified_at', 'is', null).executeTakeFirst();
  return r.numUpdatedRows > 0n ? 'verified' : 'already';
}

/** The last final outcome of a text to a member: delivered, or failed with why; none when no text has a final outcome yet. */
export interface LastText {
  memberId: number;
  failed: boolean;
  at: Date;
  error: string | null;
}

const FINAL = sql`(o.state = 'failed' OR o.receipt_status IN ('delivered', 'failed', 'rejected', 'expired'))`;
const FAILED = sql`(o.state = 'failed' OR o.receipt_status IN ('failed', 'rejected', 'expired'))`;

/** SQL true when the member's (`members m` in the outer query) last final text failed: an undeliverable number. */
export const undeliverableSql = sql<boolean>`coalesce((
  SELECT ${FAILED} FROM outbox o
  WHERE o.member_id = members.id AND o.channel = 'sms' AND ${FINAL}
  ORDER BY o.id DESC LIMIT 1), false)`;

/** Each member's last final text (index outbox_member_final, migration 800: only final rows are indexed). */
export async function lastTexts(db: Database | Tx, memberIds: readonly number[]): Promise<Map<number, LastText>> {
  const out = new Map<number, LastText>();
  if (memberIds.length === 0) return out;
  const r = await sql<LastText>`
    SELECT ids.id AS "memberId", last.failed, last.at, last.error
    FROM unnest(${[...memberIds]}::int[]) AS ids(id)
    JOIN LATERAL (
      SELECT ${FAILED} AS failed, coalesce(o.receipt_at, o.sent_at, o.next_attempt_at) AS at,
             coalesce(o.receipt_error, o.last_error, o.receipt_status) AS error
      FROM outbox o
      WHERE o.member_id = ids.id AND o.channel = 'sms' AND ${FINAL}
      ORDER BY o.id DESC LIMIT 1
    ) last ON true`.execute(db);
  for (const row of r.rows) out.set(row.memberId, row);
  return out;
}
