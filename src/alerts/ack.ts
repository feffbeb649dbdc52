// Recording an acknowledgement: the hot path of an incident (1,800 members replying ACK within
// seconds), so each ACK is one statement: the update, what it found, and what is still open
// for the member, together. Idempotent: acked_at is set once and never moved.
import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/connect.js';
import { isAlertNumber } from './number.js';

export type AckResult =
  | { outcome: 'acknowledged' | 'already'; alert: number; stillOpen: number[] }
  /** The ACK is for an advisory (src/advisories/): nothing was updated; the caller answers it there. */
  | { outcome: 'advisory'; alert: number }
  | { outcome: 'nothingOpen' }
  | { outcome: 'notReceived'; alert: number; ownAlert: boolean }
  | { outcome: 'noSuchAlert'; alert: number };

const STILL_OPEN_LISTED = 3;

interface Row {
  acked: number | null;
  advisory: number | null;
  received: boolean;
  raised_by: number | null;
  exists: boolean;
  still_open: number[];
}

// Unacknowledged deliveries of open alerts, newest first (deliveries_member index), except one.
const stillOpen = (memberId: number | RawBuilder<unknown>, except: RawBuilder<unknown>) => sql`
  ARRAY(SELECT d.alert_number FROM deliveries d JOIN alerts a ON a.number = d.alert_number
        WHERE d.member_id = ${memberId} AND d.acked_at IS NULL AND a.status = 'open'
          AND d.alert_number <> ${except}
        ORDER BY d.alert_number DESC LIMIT ${STILL_OPEN_LISTED + 1})`;

/**
 * ACK <n> (alert set) or bare ACK (alert null: the newest open alert this member received and has
 * not acknowledged). Works before any delivery receipt: only the deliveries row matters.
 * An ACK whose target is an advisory (ACK <n> with n in advisories; a bare ACK whose newest open
 * unacknowledged alert is of kind 'advisory', as advisoryFor(..., true) finds it) updates nothing
 * and says so ('advisory'), in the same statement: the advisory lookup was a round trip of its own
 * on every ACK (7 statements an ACK, 6 with it folded in; scratch/count.ts). `advisories: 'ignore'`
 * records it as an alert's ACK whatever it is (the advisory turned out not to be answerable).
 */
export async function recordAck(trx: Tx, memberId: number, alert: number | null, now: Date, opts: { advisories?: 'ignore' } = {}): Promise<AckResult> {
  if (alert !== null && !isAlertNumber(alert)) return { outcome: 'noSuchAlert', alert };
  const checkAdvisories = opts.advisories !== 'ignore';

  const f = ackStatement(sql`${memberId}`, alert, now, { checkAdvisories, when: sql`true` });
  const r = await sql<Row>`WITH ${f.ctes} SELECT ${f.columns}`.execute(trx);
  return ackStatementResult(r.rows[0]!, alert, memberId);
}

/** The columns ackStatement() adds to its statement's row. */
export type AckStatementRow = Row;

/**
 * ACK <alert>, or bare ACK (alert null), as parts of a statement, so the inbound intake can run it in
 * its own statement (src/inbound/intake.ts: ACK 5 round trips -> 4): `ctes` (ack_t, ack_adv, ack_u)
 * to put in a WITH, `columns` for its SELECT list (acked, advisory, received, exists, raised_by,
 * still_open). `member`: the member's id as SQL (NULL: no member, nothing updated); `when`: the
 * UPDATE runs only if this is true (the intake: the text was stored, not a duplicate). The SELECT
 * sees the snapshot before the UPDATE, so the target is excluded from still_open by number.
 * `alert` must be isAlertNumber() (recordAck checks).
 */
export function ackStatement(member: RawBuilder<unknown>, alert: number | null, now: Date, opts: { checkAdvisories: boolean; when: RawBuilder<unknown> }) {
  if (alert === null) {
    // The newest open alert this member received and has not acknowledged (advisoryFor's choice too).
    const ctes = sql`ack_t AS (
        SELECT d.alert_number, a.kind = 'advisory' AND ${opts.checkAdvisories}::boolean AS advisory
          FROM deliveries d JOIN alerts a ON a.number = d.alert_number
        WHERE d.member_id = ${member} AND d.acked_at IS NULL AND a.status = 'open'
        ORDER BY d.alert_number DESC LIMIT 1
      ), ack_u AS (
        UPDATE deliveries d SET acked_at = ${now} FROM ack_t
        WHERE d.alert_number = ack_t.alert_number AND d.member_id = ${member} AND d.acked_at IS NULL AND NOT ack_t.advisory AND ${opts.when}
        RETURNING d.alert_number
      )`;
    const columns = sql`(SELECT alert_number FROM ack_u) AS acked,
             (SELECT alert_number FROM ack_t WHERE advisory) AS advisory,
             false AS received, false AS exists, NULL::int AS raised_by,
             ${stillOpen(member, sql`coalesce((SELECT alert_number FROM ack_t), 0)`)} AS still_open`;
    return { ctes, columns };
  }
  const ctes = sql`ack_adv AS (
      SELECT number FROM advisories WHERE number = ${alert} AND ${opts.checkAdvisories}::boolean
    ), ack_u AS (
      UPDATE deliveries SET acked_at = ${now}
      WHERE alert_number = ${alert} AND member_id = ${member} AND acked_at IS NULL AND NOT EXISTS (SELECT 1 FROM ack_adv) AND ${opts.when}
      RETURNING alert_number
    )`;
  const columns = sql`(SELECT alert_number FROM ack_u) AS acked,
           (SELECT number FROM ack_adv) AS advisory,
           EXISTS (SELECT 1 FROM deliveries WHERE alert_number = ${alert} AND member_id = ${member}) AS received,
           EXISTS (SELECT 1 FROM alerts WHERE number = ${alert}) AS exists,
           (SELECT raised_by FROM alerts WHERE number = ${alert}) AS raised_by,
           ${stillOpen(member, sql`${alert}`)} AS still_open`;
  return { ctes, columns };
}

/** What ackStatement()'s columns say, for this member. */
export function ackStatementResult(row: AckStatementRow, alert: number | null, memberId: number): AckResult {
  if (row.advisory !== null) return { outcome: 'advisory', alert: row.advisory };
  if (alert === null) return row.acked === null ? { outcome: 'nothingOpen' } : { outcome: 'acknowledged', alert: row.acked, stillOpen: row.still_open };
  if (row.acked !== null) return { outcome: 'acknowledged', alert, stillOpen: row.still_open };
  if (row.received) return { outcome: 'already', alert, stillOpen: row.still_open };
  if (row.exists) return { outcome: 'notReceived', alert, ownAlert: row.raised_by === memberId };
  return { outcome: 'noSuchAlert', alert };
}

/** "Acknowledged #13. Still open for you: #12 - reply ACK 12." */
export function ackReply(r: Exclude<AckResult, { outcome: 'advisory' }>): string {
  switch (r.outcome) {
    case 'acknowledged':
      return `Acknowledged #${r.alert}. Thank you. Reply AFFECTED ${r.alert}, NOT AFFECTED ${r.alert} or NEED HELP ${r.alert} <text> to say how it is.${openLine(r.stillOpen)}`;
    case 'already':
      return `Your acknowledgement of #${r.alert} was already recorded.${openLine(r.stillOpen)}`;
    case 'nothingOpen':
      return 'Nothing to acknowledge: you have no open alerts waiting for an ACK. HELP lists the commands.';
    case 'notReceived':
      return r.ownAlert
        ? `You raised #${r.alert}, so there is nothing to acknowledge. Text STATUS ${r.alert} for its acknowledgements.`
        : `Alert #${r.alert} was not sent to you, so there is nothing to acknowledge. Reply ACK alone for your newest alert.`;
    case 'noSuchAlert':
      return `There is no alert #${r.alert}. Check the number in the alert text, or reply ACK alone for your newest alert.`;
  }
}

function openLine(open: number[]): string {
  if (open.length === 0) return '';
  const shown = open.slice(0, STILL_OPEN_LISTED);
  const more = open.length > STILL_OPEN_LISTED ? ' and more' : '';
  return ` Still open for you: ${shown.map((n) => `#${n}`).join(', ')}${more} - reply ${shown.map((n) => `ACK ${n}`).join(', ')}.`;
}
