// Follow-ups to an alert, after the sender confirmed with their code: UPDATE <n> <text> and
// ALLCLEAR <n> [text]. Both go, through the outbox, to exactly the alert's original recipients
// (its deliveries rows), less anyone who has opted out since: STOP is honoured from the moment
// it is sent, and members who joined after the alert never saw it, so its follow-up means nothing
// to them. Email and the forum hear it too, in the same transaction (enqueueFollowUpChannels):
// every member of the alert with an address (opted out of texts or not) and a reply in its topic.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import type { Member } from '../db/schema.js';
import { isAlertNumber } from './number.js';
import { enqueueFollowUpChannels, smsRowsFrom, type OtherChannels } from '../outbox/write.js';
import { followUpSubject } from '../text/subject.js';
import { finishFanOut } from './fanout.js';

/** An alert named by UPDATE/ALLCLEAR, as the machine needs to judge it. */
export interface AlertTarget {
  number: number;
  raisedBy: number | null;
  status: 'open' | 'closed';
  /** Members a follow-up would reach: its recipients who have not opted out since. */
  reach: number;
}

export type FollowUpKind = 'update' | 'allclear';

export type FollowUpResult =
  /** recipients: texts queued; emails: emails queued; forum: a reply post queued. */
  | { outcome: 'sent'; recipients: number; emails: number; forum: boolean }
  | { outcome: 'noSuchAlert' }
  | { outcome: 'closed' };

interface Words {
  number: number;
  exercise: boolean;
  /** A national advisory's follow-up is headed as the advisory was (NHS CYBER ADVISORY #14), not BATSIGNAL. */
  advisory?: boolean;
  senderName: string;
  senderOrg: string;
  text: string;
}

const label = (w: Words) => `${w.exercise ? 'EXERCISE ' : ''}${w.advisory ? 'NHS CYBER ADVISORY' : 'BATSIGNAL'} #${w.number}`;
const from = (w: Words) => (w.senderOrg ? `${w.senderName} (${w.senderOrg})` : w.senderName);
const tidy = (s: string) => s.trim().replace(/[.\s]+$/, '');

/** BATSIGNAL #12 UPDATE from Jane Smith (Northtown Trust): <text>. Reply ACK 12 if you have not already. */
export function updateText(w: Words): string {
  return `${label(w)} UPDATE from ${from(w)}: ${tidy(w.text)}. Reply ACK ${w.number} if you have not already.`;
}

/** BATSIGNAL #12 ALL CLEAR from Jane Smith (Northtown Trust): <text>. No further action needed. */
export function allclearText(w: Words): string {
  const text = tidy(w.text) || 'the alert is stood down';
  return `${label(w)} ALL CLEAR from ${from(w)}: ${text}. No further action needed on #${w.number}.`;
}

/** The alert an UPDATE/ALLCLEAR names, with how many members a follow-up would reach; null if none. */
export async function alertTarget(trx: Tx, alert: number): Promise<AlertTarget | null> {
  if (!isAlertNumber(alert)) return null;
  const r = await sql<AlertTarget>`
    SELECT a.number, a.raised_by AS "raisedBy", a.status,
      (SELECT count(*)::int FROM deliveries d JOIN members m ON m.id = d.member_id
        WHERE d.alert_number = a.number AND NOT m.opted_out) AS reach
    FROM alerts a WHERE a.number = ${alert}`.execute(trx);
  return r.rows[0] ?? null;
}

/**
 * Queues the follow-up to the original recipients in one set-based statement. ALLCLEAR closes the
 * alert in the same transaction (status 'closed', closed_at), which is what stops reminders.
 * The alert row is locked first, so an UPDATE and an ALLCLEAR racing each other are ordered.
 * `channels` (otherChannels(config)): email and forum rows too, exactly once, in this transaction.
 */
export async function sendFollowUp(
  trx: Tx,
  kind: FollowUpKind,
  sender: Member,
  alert: number,
  text: string,
  now: Date,
  channels?: OtherChannels,
): Promise<FollowUpResult> {
  if (!isAlertNumber(alert)) return { outcome: 'noSuchAlert' };
  const row = await trx.selectFrom('alerts').select(['number', 'status', 'exercise', 'kind']).where('number', '=', alert).forUpdate().executeTakeFirst();
  if (!row) return { outcome: 'noSuchAlert' };
  if (row.status === 'closed') return { outcome: 'closed' };
  // Every recipient of the alert gets its follow-up: a fan-out still being written is finished first.
  await finishFanOut(trx, alert, now);
  if (kind === 'allclear') {
    await trx.updateTable('alerts').set({ status: 'closed', closed_at: now }).where('number', '=', alert).execute();
  }

  const words: Words = { number: alert, exercise: row.exercise, advisory: row.kind === 'advisory', senderName: sender.name, senderOrg: sender.organisation, text };
  const body = kind === 'update' ? updateText(words) : allclearText(words);
  const r = await sql<{ n: number }>`
    WITH o AS (${smsRowsFrom(kind, alert, now, sql`
      SELECT m.id AS member_id, m.phone AS recipient, ${body}::text AS body
      FROM deliveries d JOIN members m ON m.id = d.member_id
      WHERE d.alert_number = ${alert} AND NOT m.opted_out
      ORDER BY m.id`)}
    )
    SELECT count(*)::int AS n FROM o`.execute(trx);
  const followUp = { kind, from: from(words), text: tidy(text), at: now.toISOString() };
  const other = await enqueueFollowUpChannels(trx, {
    alertNumber: alert,
    subject: followUpSubject({ number: alert, kind, text: followUp.text, exercise: row.exercise, advisory: row.kind === 'advisory' }),
    words: followUp,
    now,
    channels,
  });
  return { outcome: 'sent', recipients: r.rows[0]!.n, emails: other.emails, forum: other.forum };
}
