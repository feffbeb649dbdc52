// AFFECTED / NOT AFFECTED / NEED HELP by text: the member's situation for an alert. Each also
// acknowledges (acked_at is set once, never moved); the latest answer replaces the earlier one.
// NEED HELP is passed on to whoever raised the alert (or, for an alert raised through the admin
// API, to the admins) by text, in the same transaction.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import type { Situation } from '../db/schema.js';
import { isAlertNumber } from './number.js';
import { enqueueSms } from '../outbox/write.js';

export type SituationResult =
  | { outcome: 'recorded'; alert: number; situation: Situation; firstAck: boolean; relayedTo: RelayTarget }
  | { outcome: 'nothingOpen' }
  | { outcome: 'notReceived'; alert: number; ownAlert: boolean }
  | { outcome: 'noSuchAlert'; alert: number };

/** Who a NEED HELP went to: the raiser, the admins (alert raised by an admin through the API), or nobody reachable. */
export type RelayTarget = 'raiser' | 'admins' | 'none' | null;

export interface SituationMember {
  id: number;
  name: string;
  phone: string;
}

interface Row {
  alert: number | null;
  first_ack: boolean | null;
  received: boolean;
  exists: boolean;
  raised_by: number | null;
  ods_code: string | null;
  org_name: string | null;
}

/** "NEED HELP #12 from Pat Jones (Ancoats Surgery, P84001), call +447700900123: <their words>" */
export function needHelpRelayText(a: {
  alert: number;
  who: string;
  phone: string;
  odsCode: string | null;
  orgName: string | null;
  text: string;
}): string {
  const where = a.odsCode ? ` (${a.orgName ? `${a.orgName}, ` : ''}${a.odsCode})` : '';
  const words = a.text ? `: "${a.text}"` : ' (no details given)';
  return `NEED HELP on #${a.alert} from ${a.who}${where}, call ${a.phone}${words}. Reply STATUS ${a.alert} for the picture.`;
}

/**
 * Records the answer. `alert` null: the newest open alert the member received (acknowledged or not:
 * people often ACK first and say how it is later).
 */
export async function recordSituation(
  trx: Tx,
  member: SituationMember,
  alert: number | null,
  situation: Situation,
  text: string,
  now: Date,
): Promise<SituationResult> {
  if (alert !== null && !isAlertNumber(alert)) return { outcome: 'noSuchAlert', alert };
  const words = text.trim().slice(0, 1000) || null;

  const target =
    alert === null
      ? sql`(SELECT d.alert_number FROM deliveries d JOIN alerts a ON a.number = d.alert_number
             WHERE d.member_id = ${member.id} AND a.status = 'open'
             ORDER BY d.alert_number DESC LIMIT 1)`
      : sql`${alert}::int`;
  // The row lock of the UPDATE serialises two answers of the same member; the organisation's
  // situation is read from all its members' rows whenever asked (coverage.ts), never kept.
  const r = await sql<Row>`
    WITH t AS (SELECT ${target} AS n),
    u AS (
      UPDATE deliveries d
      SET acked_at = coalesce(d.acked_at, ${now}), situation = ${situation}, situation_at = ${now}, situation_text = ${words}
      FROM t
      WHERE d.alert_number = t.n AND d.member_id = ${member.id}
      RETURNING d.alert_number, d.ods_code
    ),
    before AS (
      SELECT acked_at FROM deliveries, t WHERE alert_number = t.n AND member_id = ${member.id}
    )
    SELECT (SELECT alert_number FROM u) AS alert,
           (SELECT acked_at IS NULL FROM before) AS first_ack,
           EXISTS (SELECT 1 FROM before) AS received,
           EXISTS (SELECT 1 FROM alerts, t WHERE number = t.n) AS exists,
           (SELECT raised_by FROM alerts, t WHERE number = t.n) AS raised_by,
           (SELECT ods_code FROM u) AS ods_code,
           (SELECT o.name FROM u JOIN organisations o ON o.ods_code = u.ods_code) AS org_name`.execute(trx);
  const row = r.rows[0]!;
  if (row.alert === null) {
    if (alert === null) return { outcome: 'nothingOpen' };
    if (row.exists) return { outcome: 'notReceived', alert, ownAlert: row.raised_by === member.id };
    return { outcome: 'noSuchAlert', alert };
  }

  let relayedTo: RelayTarget = null;
  if (situation === 'need_help') {
    const body = needHelpRelayText({ alert: row.alert, who: member.name, phone: member.phone, odsCode: row.ods_code, orgName: row.org_name, text: words ?? '' });
    // The raiser if they can get texts; for an alert raised through the admin API, the admins.
    const to = await trx
      .selectFrom('members')
      .select(['id', 'phone'])
      .where('opted_out', '=', false)
      .where('id', '<>', member.id)
      .where((eb) => (row.raised_by !== null ? eb('id', '=', row.raised_by) : eb('role', '=', 'admin')))
      .orderBy('id')
      .execute();
    await enqueueSms(trx, to.map((m) => ({ memberId: m.id, to: m.phone, body, kind: 'reply' as const, alertNumber: row.alert })), now);
    relayedTo = to.length === 0 ? 'none' : row.raised_by !== null ? 'raiser' : 'admins';
  }
  return { outcome: 'recorded', alert: row.alert, situation, firstAck: row.first_ack === true, relayedTo };
}
