// Recording a contact's answer to an advisory (ACK, AFFECTED, NOT AFFECTED, RESOLVED, NEED HELP),
// for every organisation they received it for, or for the one they name. The organisations' rows
// are locked in ODS order (two contacts answering for the same practices never deadlock), the
// pure machine (response.ts) decides each next state, and one statement applies them all.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import { answerResponse, onTime, type Answer, type ResponseState } from './response.js';
import { ODS_CODE } from './target.js';

export interface AdvisoryFacts {
  number: number;
  title: string;
  severity: string;
  respondBy: Date | null;
  exercise: boolean;
}

export type AnswerResult =
  | { outcome: 'notAdvisory' }
  | { outcome: 'notReceived'; advisory: AdvisoryFacts }
  | { outcome: 'unknownOrganisation'; advisory: AdvisoryFacts; odsCode: string; yours: string[] }
  | {
      outcome: 'recorded';
      advisory: AdvisoryFacts;
      answer: Answer;
      /** The organisations the answer counted for. */
      organisations: number;
      /** Of those, how many changed state. */
      changed: number;
      /** Already further on (resolved, or affected when ACK was sent): left as they were. */
      unchanged: number;
      /** Named, or the only one: its code and name. */
      single: { odsCode: string; name: string } | null;
      /** Answered after the deadline: the organisations that first responded now are marked late. */
      late: boolean;
    };

/** The advisory with this number, or null when it is a peer alert or no alert. */
export async function advisoryFacts(trx: Tx, n: number): Promise<AdvisoryFacts | null> {
  const r = await trx
    .selectFrom('advisories')
    .innerJoin('alerts', 'alerts.number', 'advisories.number')
    .select(['advisories.number', 'advisories.title', 'advisories.severity', 'advisories.respond_by', 'alerts.exercise'])
    .where('advisories.number', '=', n)
    .executeTakeFirst();
  return r ? { number: r.number, title: r.title, severity: r.severity, respondBy: r.respond_by, exercise: r.exercise } : null;
}

/**
 * The advisory a reply is about, or null when it is about a peer alert (or nothing): the named
 * number if that is an advisory; for a bare reply, the newest open alert the member received
 * (unacknowledged only, for a bare ACK) when that one is an advisory.
 */
export async function advisoryFor(trx: Tx, memberId: number, alert: number | null, unackedOnly: boolean): Promise<number | null> {
  if (alert !== null) {
    if (!Number.isSafeInteger(alert) || alert < 1 || alert > 2147483647) return null;
    const r = await sql<{ number: number }>`SELECT number FROM advisories WHERE number = ${alert}`.execute(trx);
    return r.rows[0]?.number ?? null;
  }
  const r = await sql<{ number: number; kind: string }>`
    SELECT d.alert_number AS number, a.kind FROM deliveries d JOIN alerts a ON a.number = d.alert_number
    WHERE d.member_id = ${memberId} AND a.status = 'open' AND (NOT ${unackedOnly}::boolean OR d.acked_at IS NULL)
    ORDER BY d.alert_number DESC LIMIT 1`.execute(trx);
  const row = r.rows[0];
  return row && row.kind === 'advisory' ? row.number : null;
}

/** A word after the number that is an ODS code: it has a digit (letters-only words are words), or is one of theirs. */
export function odsCodeIn(words: string, theirs: readonly string[] = []): string | null {
  const first = words.trim().split(/[\s,.;:]+/)[0]?.toUpperCase() ?? '';
  if (!ODS_CODE.test(first)) return null;
  return /\d/.test(first) || theirs.includes(first) ? first : null;
}

export async function answerAdvisory(
  trx: Tx,
  member: { id: number; name: string },
  n: number,
  answer: Answer,
  words: string,
  now: Date,
): Promise<AnswerResult> {
  const advisory = await advisoryFacts(trx, n);
  if (!advisory) return { outcome: 'notAdvisory' };
  const mine = await sql<{ ods_code: string; name: string }>`
    SELECT DISTINCT c.ods_code, o.name FROM advisory_contacts c
    JOIN advisory_organisations o ON o.advisory = c.advisory AND o.ods_code = c.ods_code
    WHERE c.advisory = ${n} AND c.member_id = ${member.id}
    ORDER BY c.ods_code`.execute(trx);
  if (mine.rows.length === 0) return { outcome: 'notReceived', advisory };
  const codes = mine.rows.map((r) => r.ods_code);
  const named = odsCodeIn(words, codes);
  if (named !== null && !codes.includes(named)) return { outcome: 'unknownOrganisation', advisory, odsCode: named, yours: codes };
  const targets = named !== null ? [named] : codes;

  const locked = await sql<{ ods_code: string; name: string; response: ResponseState; first_response_at: Date | null }>`
    SELECT ods_code, name, response, first_response_at FROM advisory_organisations
    WHERE advisory = ${n} AND ods_code = ANY(${targets}::text[])
    ORDER BY ods_code
    FOR UPDATE`.execute(trx);
  const late = !onTime(now, advisory.respondBy);
  const moves = locked.rows.map((r) => ({ ...r, t: answerResponse(r.response, answer) }));
  const note = answer === 'need_help' ? words.trim().slice(0, 1000) || null : null;

  await sql`
    WITH x AS (
      SELECT * FROM unnest(${moves.map((m) => m.ods_code)}::text[], ${moves.map((m) => m.t.next)}::text[], ${moves.map((m) => m.t.changed)}::boolean[])
        AS x(ods_code, next, changed)
    ), u AS (
      UPDATE advisory_organisations o
      SET response = x.next,
          responded_at = CASE WHEN x.changed THEN ${now}::timestamptz ELSE o.responded_at END,
          responded_by = CASE WHEN x.changed THEN ${member.id}::int ELSE o.responded_by END,
          responded_by_name = CASE WHEN x.changed THEN ${member.name} ELSE o.responded_by_name END,
          first_response_at = coalesce(o.first_response_at, ${now}::timestamptz),
          on_time = coalesce(o.on_time, ${!late}::boolean),
          need_help_at = CASE WHEN ${answer === 'need_help'}::boolean THEN coalesce(o.need_help_at, ${now}::timestamptz) ELSE o.need_help_at END
      FROM x
      WHERE o.advisory = ${n} AND o.ods_code = x.ods_code
      RETURNING o.ods_code, o.response
    )
    INSERT INTO advisory_answers (advisory, ods_code, member_id, answer, response_after, on_time, text, answered_at)
    SELECT ${n}, u.ods_code, ${member.id}, ${answer}, u.response, ${!late}, ${note}, ${now} FROM u`.execute(trx);
  // The member's own delivery counts as acknowledged too (the alert views, bare ACK).
  await sql`UPDATE deliveries SET acked_at = ${now} WHERE alert_number = ${n} AND member_id = ${member.id} AND acked_at IS NULL`.execute(trx);

  const changed = moves.filter((m) => m.t.changed).length;
  const single = moves.length === 1 ? { odsCode: moves[0]!.ods_code, name: moves[0]!.name } : null;
  return {
    outcome: 'recorded',
    advisory,
    answer,
    organisations: moves.length,
    changed,
    unchanged: moves.length - changed,
    single,
    late: late && moves.some((m) => m.first_response_at === null),
  };
}
