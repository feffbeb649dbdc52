// Loop protection for members. A member's phone with an auto-responder ("I'm driving") would
// answer every reply we send, and we would answer that: a loop that costs money and floods the
// member. We cap how many texts per number are interpreted, so the conversation (and its replies)
// runs at most LIMITS.perMinute times a minute and LIMITS.perHour times an hour per number.
// A person raising an alert sends about five texts in a few minutes (RAISE, YES, description,
// CONFIRM, ACK), far below both caps. Texts over the cap are stored (outcome 'ignored'), logged,
// and not answered. A spoofed sender can fill a member's cap, so the cap only ever silences what
// a loop sends (unrecognised text, HELP, STATUS...): a member's own commands that change something
// (ACK, AFFECTED/NOT AFFECTED/NEED HELP, CONFIRM, UPDATE, ALLCLEAR, STOP, START, JOIN; passesLoopCap) are always read, and a wrong
// CONFIRM code still counts against the three tries.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import { parseCommand, type CommandKind } from '../conversation/parse.js';

export const LIMITS = { perMinute: 10, perHour: 60 } as const;

const ALWAYS_READ: ReadonlySet<CommandKind> = new Set(['ack', 'situation', 'confirm', 'update', 'allclear', 'stop', 'start', 'join']);

/** Commands read even over the loop cap (their replies are sent only when they acted: handle.ts). */
export const passesLoopCap = (text: string): boolean => ALWAYS_READ.has(parseCommand(text).kind);

/**
 * True when this number has already had its share of interpreted texts. Counts texts (a
 * multipart text counts once) recorded as processed or assembled; the caller holds the sender lock.
 */
export async function overInboundLimit(trx: Tx, msisdn: string, now: Date): Promise<boolean> {
  const hourAgo = new Date(now.getTime() - 3600_000);
  const minuteAgo = new Date(now.getTime() - 60_000);
  const { rows } = await sql<{ minute: number; hour: number }>`
    SELECT count(DISTINCT coalesce('c:' || concat_ref, 'm:' || message_id)) FILTER (WHERE received_at > ${minuteAgo})::int AS minute,
           count(DISTINCT coalesce('c:' || concat_ref, 'm:' || message_id))::int AS hour
      FROM inbound_messages
     WHERE msisdn = ${msisdn} AND received_at > ${hourAgo} AND received_at <= ${now}
       AND outcome IN ('processed', 'assembled')`.execute(trx);
  const r = rows[0]!;
  return r.minute >= LIMITS.perMinute || r.hour >= LIMITS.perHour;
}
