// The words an advisory's contacts receive by text. Pure; GSM-7 (normalised), no curly quotes.
//
// NHS CYBER ADVISORY #14 (HIGH): <title>. Respond by Tue 1 Dec 14:00: reply ACK 14. Details by email.
import { normaliseGsm7 } from '../text/gsm7.js';
import type { Severity } from './deadline.js';

const dayTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** "Tue 1 Dec 14:00" in UK time, whatever the server's zone. */
export function formatDayTime(d: Date): string {
  const p = Object.fromEntries(dayTime.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.weekday} ${p.day} ${p.month} ${p.hour}:${p.minute}`;
}

export interface AdvisoryWords {
  number: number;
  severity: Severity;
  title: string;
  respondBy: Date | null;
  exercise: boolean;
}

const flat = (s: string) => normaliseGsm7(s).replace(/[\p{Cc}\s]+/gu, ' ').trim().replace(/[.\s]+$/, '');
const n = (x: number) => x.toLocaleString('en-GB');
const orgs = (x: number) => `${n(x)} organisation${x === 1 ? '' : 's'}`;

export function advisoryHead(a: AdvisoryWords): string {
  return `${a.exercise ? 'EXERCISE ' : ''}NHS CYBER ADVISORY #${a.number} (${a.severity.toUpperCase()})`;
}

function respond(a: AdvisoryWords): string {
  return a.respondBy ? `Respond by ${formatDayTime(a.respondBy)}: reply ACK ${a.number}.` : `Reply ACK ${a.number}.`;
}

const exerciseTail = (a: AdvisoryWords) => (a.exercise ? ' THIS IS AN EXERCISE.' : '');

/** One contact's text; `organisations` > 1 when they answer for several (one text, saying how many). */
export function advisoryText(a: AdvisoryWords, organisations: number): string {
  return organisations > 1 ? manyText(a, n(organisations)) : `${advisoryHead(a)}: ${flat(a.title)}. ${respond(a)} Details by email.${exerciseTail(a)}`;
}

function manyText(a: AdvisoryWords, count: string): string {
  return (
    `${advisoryHead(a)}: ${flat(a.title)}. ${respond(a)} Details by email. ` +
    `You answer for ${count} organisations: one reply counts for all, or add an ODS code (ACK ${a.number} A81001).${exerciseTail(a)}`
  );
}

/** Half-way reminder to contacts of organisations that have not responded. */
export function advisoryReminderText(a: AdvisoryWords, waiting: number, of: number): string {
  return reminder(a, of > 1 ? ` No response yet for ${n(waiting)} of your ${orgs(of)}.` : ' No response yet.');
}

function reminder(a: AdvisoryWords, who: string): string {
  return `Reminder: ${advisoryHead(a)}: ${flat(a.title)}.${who} ${respond(a)}${exerciseTail(a)}`;
}

/** At the deadline, to deputies (and, when it went via the support unit, the organisation's own primary contacts). */
export function advisoryEscalationText(a: AdvisoryWords, orgNames: readonly string[]): string {
  return escalation(a, orgNames.length === 1 ? flat(orgNames[0]!) : orgs(orgNames.length));
}

function escalation(a: AdvisoryWords, which: string): string {
  return (
    `OVERDUE ${advisoryHead(a)}: ${flat(a.title)}. No response from ${which} by the deadline. ` +
    `Please reply ACK ${a.number}, then AFFECTED ${a.number} or NOT AFFECTED ${a.number}. Details by email.${exerciseTail(a)}`
  );
}

/** Email subject: the same head, then the title. */
export function advisorySubject(a: Pick<AdvisoryWords, 'number' | 'severity' | 'title' | 'exercise'>): string {
  return `${a.exercise ? 'EXERCISE ' : ''}NHS CYBER ADVISORY #${a.number} (${a.severity.toUpperCase()}): ${flat(a.title)}`;
}

/** The start of a text, cut at a word boundary, with "..." when cut (for one-text summaries). */
export function headline(text: string, max: number): string {
  const f = text.replace(/\s+/g, ' ').trim();
  if (f.length <= max) return f;
  const cut = f.slice(0, max - 3);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:-]+$/, '') + '...';
}
