// STATUS by text: an alert's counts for admins and for the member who raised it.
import type { Tx } from '../db/connect.js';
import type { Member } from '../db/schema.js';
import { alertCounts, type AlertCounts } from './counts.js';
import { coverageSummary, type CoverageSummary } from './coverage.js';
import { isAlertNumber } from './number.js';

const n = (x: number) => x.toLocaleString('en-GB');

/** "25 min", "2 h 5 min", "3 days": how long ago, in words that fit a text. */
export function ago(then: Date, now: Date): string {
  const min = Math.max(0, Math.floor((now.getTime() - then.getTime()) / 60_000));
  if (min < 1) return 'under a minute';
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

/** " Organisations: 12 of 40 covered, 2 need help, 3 affected." (nothing when no recipient has an organisation) */
export function coverageLine(s: CoverageSummary | undefined): string {
  if (!s || s.targeted === 0) return '';
  const affected = s.affected > 0 ? `, ${n(s.affected)} affected` : '';
  return ` Organisations: ${n(s.covered)} of ${n(s.targeted)} covered, ${n(s.needHelp)} need${s.needHelp === 1 ? 's' : ''} help${affected}.`;
}

export function statusText(c: AlertCounts, forumUrl: string | null, now: Date, coverage?: CoverageSummary): string {
  const state = c.status === 'closed' && c.closedAt ? `closed ${ago(c.closedAt, now)} ago, raised` : 'open, raised';
  const waiting = c.recipients - c.acknowledged;
  return (
    `${c.exercise ? 'EXERCISE ' : ''}#${c.number} ${state} ${ago(c.createdAt, now)} ago: ${n(c.recipients)} recipients, ` +
    `${n(c.delivered)} delivered, ${n(c.failed)} failed, ${n(c.acknowledged)} acknowledged (${n(waiting)} not yet). ` +
    `${n(c.optedOut)} member${c.optedOut === 1 ? '' : 's'} opted out.` +
    coverageLine(coverage) +
    (forumUrl ? ` Forum: ${forumUrl}` : '') +
    ` Text STATUS ${c.number} to refresh.`
  );
}

/** The reply to STATUS or STATUS <n> from this member. */
export async function statusReply(trx: Tx, member: Member, alert: number | null, now: Date): Promise<string> {
  const admin = member.role === 'admin';
  if (alert !== null && !isAlertNumber(alert)) return `There is no alert #${alert}. Check the number in the alert text.`;

  // Bare STATUS: the newest alert overall for an admin, the newest one they raised for anyone else.
  let q = trx.selectFrom('alerts').select(['number', 'raised_by', 'forum_topic_url']);
  if (alert !== null) q = q.where('number', '=', alert);
  else if (!admin) q = q.where('raised_by', '=', member.id);
  const target = await q.orderBy('number', 'desc').limit(1).executeTakeFirst();

  if (!target) {
    if (alert !== null) return `There is no alert #${alert}. Check the number in the alert text.`;
    return admin ? 'No alerts have been raised yet.' : 'STATUS is for admins, and for members about an alert they raised. Send HELP for the commands.';
  }
  if (!admin && target.raised_by !== member.id) {
    return `STATUS is for admins, and for the member who raised #${target.number}. Send HELP for the commands.`;
  }
  const [counts, coverage] = [await alertCounts(trx, target.number), await coverageSummary(trx, target.number)];
  if (!counts) return `There is no alert #${target.number}.`;
  return statusText(counts, target.forum_topic_url, now, coverage);
}
