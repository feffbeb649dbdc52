// The alert email: plain text and simple HTML. Pure; every member-supplied word is escaped.
import { displayNumber, formatUkTime, headline } from '../../text/when.js';
import { emailSubject, followUpSubject } from '../../text/subject.js';

export { emailSubject };
import type { Alert } from '../../db/schema.js';

/** The alert's own columns (src/db/schema.ts), as the email needs them. */
export type AlertEmailFacts = Pick<Alert, 'number' | 'raiser_name' | 'raiser_org' | 'summary' | 'exercise' | 'created_at' | 'forum_topic_url'>;

export interface EmailContext {
  /** The number members text, as Vonage digits. */
  batsignalNumber: string;
  /** The recipient opted out of alert texts: no ACK by text (they have no delivery to acknowledge). */
  smsOptedOut: boolean;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderAlertEmail(a: AlertEmailFacts, ctx: EmailContext): RenderedEmail {
  const from = a.raiser_org ? `${a.raiser_name} (${a.raiser_org})` : a.raiser_name;
  const number = displayNumber(ctx.batsignalNumber);
  const when = formatUkTime(a.created_at);
  const exercise = a.exercise ? 'THIS IS AN EXERCISE. No real incident is taking place.' : null;
  const ack = ctx.smsOptedOut
    ? `You opted out of alert texts, so this alert reached you by email only. Text START to ${number} to get alerts by text again.`
    : `To acknowledge, text ACK ${a.number} to ${number}. You were also sent this alert by text.`;
  const forum = a.forum_topic_url ? `Discussion on the forum: ${a.forum_topic_url}` : null;

  const text = [
    exercise,
    `BATSIGNAL #${a.number}`,
    '',
    a.summary.trim(),
    '',
    `Raised by ${from} at ${when}.`,
    '',
    ack,
    forum,
    '',
    'Do not reply to this email: replies are not read. No patient data by text, email or forum.',
  ]
    .filter((l): l is string => l !== null)
    .join('\n');

  const p = (s: string, style = '') => `<p${style ? ` style="${style}"` : ''}>${escapeHtml(s)}</p>`;
  const html = [
    '<!doctype html><html><body style="font-family: Arial, sans-serif; font-size: 16px; color: #212b32;">',
    exercise ? p(exercise, 'background: #ffeb3b; padding: 8px; font-weight: bold;') : '',
    `<h1 style="font-size: 24px; color: #d5281b;">${a.exercise ? 'EXERCISE ' : ''}BATSIGNAL #${a.number}</h1>`,
    p(a.summary.trim(), 'font-size: 19px; white-space: pre-wrap;'),
    p(`Raised by ${from} at ${when}.`),
    p(ack, 'font-weight: bold;'),
    a.forum_topic_url && /^https?:\/\//i.test(a.forum_topic_url)
      ? `<p>Discussion on the forum: <a href="${escapeHtml(a.forum_topic_url)}">${escapeHtml(a.forum_topic_url)}</a></p>`
      : '',
    p('Do not reply to this email: replies are not read. No patient data by text, email or forum.', 'color: #4c6272; font-size: 14px;'),
    '</body></html>',
  ].join('\n');

  return { subject: emailSubject(a), text, html };
}

/** An UPDATE or ALLCLEAR as the email renders it (the FollowUpWords of the outbox row's payload). */
export interface FollowUpEmailFacts {
  kind: 'update' | 'allclear';
  from: string;
  text: string;
  at: Date;
}

/** The follow-up email: what the text said, to members by email whether or not they take texts. */
export function renderFollowUpEmail(a: AlertEmailFacts, f: FollowUpEmailFacts, ctx: EmailContext): RenderedEmail {
  const number = displayNumber(ctx.batsignalNumber);
  const what = f.kind === 'update' ? 'UPDATE' : 'ALL CLEAR';
  const words = f.text.trim() || (f.kind === 'allclear' ? 'The alert is stood down.' : '');
  const exercise = a.exercise ? 'THIS IS AN EXERCISE. No real incident is taking place.' : null;
  const about = `About: ${headline(a.summary, 200)}`;
  const next =
    f.kind === 'allclear'
      ? `No further action is needed on #${a.number}.`
      : ctx.smsOptedOut
        ? `You opted out of alert texts, so this reached you by email only. Text START to ${number} to get alerts by text again.`
        : `If you have not acknowledged yet, text ACK ${a.number} to ${number}.`;
  const forum = a.forum_topic_url ? `Discussion on the forum: ${a.forum_topic_url}` : null;
  const heading = `${a.exercise ? 'EXERCISE ' : ''}BATSIGNAL #${a.number} ${what}`;
  const text = [exercise, heading, '', words, '', `From ${f.from} at ${formatUkTime(f.at)}.`, about, '', next, forum, '', 'Do not reply to this email: replies are not read. No patient data by text, email or forum.']
    .filter((l): l is string => l !== null)
    .join('\n');
  const p = (s: string, style = '') => `<p${style ? ` style="${style}"` : ''}>${escapeHtml(s)}</p>`;
  const html = [
    '<!doctype html><html><body style="font-family: Arial, sans-serif; font-size: 16px; color: #212b32;">',
    exercise ? p(exercise, 'background: #ffeb3b; padding: 8px; font-weight: bold;') : '',
    `<h1 style="font-size: 24px; color: ${f.kind === 'allclear' ? '#007f3b' : '#d5281b'};">${escapeHtml(heading)}</h1>`,
    p(words, 'font-size: 19px; white-space: pre-wrap;'),
    p(`From ${f.from} at ${formatUkTime(f.at)}.`),
    p(about),
    p(next, 'font-weight: bold;'),
    a.forum_topic_url && /^https?:\/\//i.test(a.forum_topic_url)
      ? `<p>Discussion on the forum: <a href="${escapeHtml(a.forum_topic_url)}">${escapeHtml(a.forum_topic_url)}</a></p>`
      : '',
    p('Do not reply to this email: replies are not read. No patient data by text, email or forum.', 'color: #4c6272; font-size: 14px;'),
    '</body></html>',
  ].join('\n');
  return { subject: followUpSubject({ number: a.number, kind: f.kind, text: f.text, exercise: a.exercise }), text, html };
}
