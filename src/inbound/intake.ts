// The hot path of a single-part text in one statement (after the sender lock, which must be its
// own statement: a statement's snapshot is taken when it starts, so reads in the statement that
// waited for the lock could miss what the previous holder committed). One round trip answers:
// does this sender have a timed-out multipart text to read first, who is it, is it over the loop
// cap, and stores the text with its outcome unless that messageId was seen (exactly once).
// Was five statements (stale check, member, loop count, insert): 9 round trips an ACK, then 6. The
// lock is still its own statement, but it travels with this one (DEFERRED, src/db/connect.ts).
// It also reads the member's conversation state, which every command but ACK <n>, STATUS, STOP,
// START and JOIN needs next.
import { sql } from 'kysely';
import { PREPARED, type Tx } from '../db/connect.js';
import type { InboundOutcome, Member } from '../db/schema.js';
import type { InboundSms } from './message.js';
import { LIMITS } from './limits.js';
import { ackStatement, ackStatementResult, type AckStatementRow, type AckResult } from '../alerts/ack.js';

export interface Intake {
  /** A timed-out multipart text waits: nothing was stored, the caller takes the long way. */
  stale: boolean;
  member: Member | undefined;
  overCap: boolean;
  /**
   * The member's conversations.state (jsonb as read; null: no row), read in this statement after
   * the sender lock so the conversation needs no SELECT of its own: HELP was 6 round trips, now 5.
   */
  conversation: unknown;
  /**
   * With `ackAlert`: ACK <ackAlert> (null: bare ACK) for the member, run in this statement when the text was stored
   * as processed (never for a duplicate, a stranger or a stale sender); what it found. The
   * conversation uses it instead of running the ACK itself (src/conversation/handle.ts).
   */
  ack?: { alert: number | null; result: AckResult } | undefined;
  /** The outcome stored, or null: a duplicate messageId (or nothing stored because of `stale`). */
  stored: InboundOutcome | null;
}

/**
 * Every column of members, named: a prepared statement's result columns must not change under it
 * (a migration adding a column while an instance runs). test/ack-intake.test.ts holds this list to
 * the table's.
 */
export const MEMBER_COLUMNS = [
  'id', 'name', 'phone', 'email', 'organisation', 'role', 'forum_username', 'ods_code', 'contact_role',
  'opted_out', 'opted_out_at', 'created_at', 'updated_at', 'verified_at', 'welcomed_at',
] as const satisfies readonly (keyof Member)[];
/** Fails to compile when src/db/schema.ts gains a members column this list lacks. */
const everyMemberColumn: [Exclude<keyof Member, (typeof MEMBER_COLUMNS)[number]>] extends [never] ? true : false = true;
void everyMemberColumn;

type Row = Partial<Member> & { _stale: boolean; _minute: number; _hour: number; _stored: InboundOutcome | null; _conversation: unknown; _ack?: AckStatementRow | null };

/**
 * `sms.msisdn`: the sender key; `e164`: the same number with '+' (members.phone); `passesCap`:
 * the text is one the loop cap never silences (limits.ts passesLoopCap).
 */
export async function intake(
  trx: Tx,
  sms: InboundSms,
  e164: string,
  passesCap: boolean,
  concatTimeoutSeconds: number,
  now: Date,
  ackAlert?: number | null,
): Promise<Intake> {
  const cutoff = new Date(now.getTime() - concatTimeoutSeconds * 1000);
  const hourAgo = new Date(now.getTime() - 3600_000);
  const minuteAgo = new Date(now.getTime() - 60_000);
  // ACK <n> rides along (ACK 5 round trips -> 4): only once the text is stored as processed.
  const ack = ackAlert === undefined ? undefined : ackStatement(sql`(SELECT id FROM m)`, ackAlert, now, { checkAdvisories: true, when: sql`EXISTS (SELECT 1 FROM ins WHERE outcome = 'processed')` });
  // Prepared (src/db/connect.ts): planning this statement cost more than running it.
  const { rows } = await sql<Row>`${sql.raw(PREPARED)}
    WITH stale AS (
      SELECT EXISTS (SELECT 1 FROM inbound_messages
                      WHERE msisdn = ${sms.msisdn} AND outcome = 'part' AND received_at <= ${cutoff}) AS any
    ), m AS (
      SELECT ${sql.raw(MEMBER_COLUMNS.join(', '))} FROM members WHERE phone = ${e164}
    ), cap AS (
      SELECT count(DISTINCT coalesce('c:' || concat_ref, 'm:' || message_id)) FILTER (WHERE received_at > ${minuteAgo})::int AS minute,
             count(DISTINCT coalesce('c:' || concat_ref, 'm:' || message_id))::int AS hour
        FROM inbound_messages
       WHERE msisdn = ${sms.msisdn} AND received_at > ${hourAgo} AND received_at <= ${now}
         AND outcome IN ('processed', 'assembled')
    ), ins AS (
      INSERT INTO inbound_messages (message_id, msisdn, text, type, provider, outcome, received_at)
      SELECT ${sms.messageId}, ${sms.msisdn}, ${sms.text}, ${sms.type}, ${sms.provider ?? 'vonage'},
             CASE WHEN NOT EXISTS (SELECT 1 FROM m) THEN 'stranger'
                  WHEN (cap.minute >= ${LIMITS.perMinute} OR cap.hour >= ${LIMITS.perHour}) AND NOT ${passesCap} THEN 'ignored'
                  ELSE 'processed' END,
             ${now}
        FROM cap, stale
       WHERE NOT stale.any
      ON CONFLICT (message_id) DO NOTHING
      RETURNING outcome
    )${ack ? sql`, ${ack.ctes}` : sql``}
    SELECT m.*, stale.any AS _stale, cap.minute AS _minute, cap.hour AS _hour, (SELECT outcome FROM ins) AS _stored,
           (SELECT c.state FROM conversations c WHERE c.member_id = m.id) AS _conversation
           ${ack ? sql`, (SELECT to_jsonb(a) FROM (SELECT ${ack.columns}) a) AS _ack` : sql``}
      FROM stale CROSS JOIN cap LEFT JOIN m ON true`.execute(trx);
  const { _stale, _minute, _hour, _stored, _conversation, _ack, ...member } = rows[0]!;
  const found = member.id === null || member.id === undefined ? undefined : (member as Member);
  return {
    ack: _ack && found && _stored === 'processed' && ackAlert !== undefined ? { alert: ackAlert, result: ackStatementResult(_ack, ackAlert, found.id) } : undefined,
    stale: _stale,
    member: found,
    overCap: _minute >= LIMITS.perMinute || _hour >= LIMITS.perHour,
    stored: _stored,
    conversation: _conversation,
  };
}
