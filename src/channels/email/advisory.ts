// The advisory email: the full body, the deadline, how to answer by text, and the organisations
// this contact answers for. Pure; every word from the advisory or the directory is escaped.
import { displayNumber, formatUkTime } from '../../text/when.js';
import { escapeHtml, type RenderedEmail } from './render.js';

export interface AdvisoryEmailFacts {
  number: number;
  title: string;
  body: string;
  severity: string;
  respondBy: Date | null;
  exercise: boolean;
  createdAt: Date;
  /** The organisations this contact answers for (code and name). */
  organisations: { odsCode: string; name: string }[];
  /** The escalation email: the organisation(s) did not respond by the deadline. */
  overdue: boolean;
}

export function renderAdvisoryEmail(a: AdvisoryEmailFacts, ctx: { batsignalNumber: string; smsOptedOut: boolean }): RenderedEmail {
  const number = displayNumber(ctx.batsignalNumber);
  const head = `${a.exercise ? 'EXERCISE ' : ''}NHS CYBER ADVISORY #${a.number} (${a.severity.toUpperCase()})`;
  const subject = `${a.overdue ? 'OVERDUE ' : ''}${head}: ${a.title}`;
  const exercise = a.exercise ? 'THIS IS AN EXERCISE. No real incident is taking place.' : null;
  const deadline = a.respondBy ? `Respond by ${formatUkTime(a.respondBy)} for each organisation below.` : 'Please respond for each organisation below.';
  const overdue = a.overdue ? 'No response was recorded by the deadline: you are receiving this as a deputy or as the organisation\'s own contact.' : null;
  const orgs = a.organisations.map((o) => `${o.odsCode} ${o.name}`);
  const how = [
    `Text to ${number}:`,
    `  ACK ${a.number} - received`,
    `  AFFECTED ${a.number} or NOT AFFECTED ${a.number} - does it apply to you?`,
    `  RESOLVED ${a.number} - dealt with`,
    `  NEED HELP ${a.number} <what you need>`,
    a.organisations.length > 1 ? `One reply counts for all ${a.organisations.length} organisations; add an ODS code to answer for one (e.g. AFFECTED ${a.number} ${a.organisations[0]!.odsCode}).` : null,
    ctx.smsOptedOut ? `You opted out of alert texts; text START to ${number} to get them again, then reply as above.` : null,
  ].filter((l): l is string => l !== null);

  const text = [exercise, head, a.title, '', overdue, deadline, '', a.body.trim(), '', 'You answer for:', ...orgs.map((o) => `  ${o}`), '', ...how, '', `Issued ${formatUkTime(a.createdAt)}. Do not reply to this email: replies are not read.`]
    .filter((l): l is string => l !== null)
    .join('\n');

  const p = (s: string, style = '') => `<p${style ? ` style="${style}"` : ''}>${escapeHtml(s)}</p>`;
  const html = [
    '<!doctype html><html><body style="font-family: Arial, sans-serif; font-size: 16px; color: #212b32;">',
    exercise ? p(exercise, 'background: #ffeb3b; padding: 8px; font-weight: bold;') : '',
    `<h1 style="font-size: 24px; color: #d5281b;">${escapeHtml(head)}</h1>`,
    `<h2 style="font-size: 20px;">${escapeHtml(a.title)}</h2>`,
    overdue ? p(overdue, 'font-weight: bold; color: #d5281b;') : '',
    p(deadline, 'font-weight: bold;'),
    p(a.body.trim(), 'white-space: pre-wrap;'),
    '<p>You answer for:</p><ul>' + orgs.map((o) => `<li>${escapeHtml(o)}</li>`).join('') + '</ul>',
    `<pre style="font-family: inherit;">${escapeHtml(how.join('\n'))}</pre>`,
    p(`Issued ${formatUkTime(a.createdAt)}. Do not reply to this email: replies are not read.`, 'color: #4c6272; font-size: 14px;'),
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
