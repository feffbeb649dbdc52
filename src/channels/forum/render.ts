// The alert's forum topic: title and Markdown body. Pure.
import { displayNumber, formatUkTime, headline } from '../../text/when.js';
import type { Alert } from '../../db/schema.js';

/** The alert's own columns (src/db/schema.ts), as the topic needs them. */
export type AlertTopicFacts = Pick<Alert, 'number' | 'raiser_name' | 'raiser_org' | 'summary' | 'exercise' | 'created_at'>;

export interface RenderedTopic {
  title: string;
  raw: string;
}

// Discourse's default minimum title is 15 characters; long titles read badly in topic lists.
const MIN_TITLE = 15;
const MAX_TITLE = 120;

/** Member words become literal text: no Markdown, HTML, @mentions or #hashtags of theirs. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()<>#|~@]/g, (c) => `\\${c}`);
}

export function topicTitle(a: Pick<AlertTopicFacts, 'number' | 'summary' | 'exercise'>): string {
  const prefix = `${a.exercise ? 'EXERCISE ' : ''}Batsignal #${a.number}: `;
  let title = (prefix + headline(a.summary, MAX_TITLE - prefix.length)).trim();
  if (title.length < MIN_TITLE) title += ' (alert)';
  return title;
}

export function renderTopic(a: AlertTopicFacts, batsignalNumber: string): RenderedTopic {
  const from = a.raiser_org ? `${a.raiser_name} (${a.raiser_org})` : a.raiser_name;
  const quoted = a.summary
    .trim()
    .split(/\r?\n/)
    .map((l) => `> ${escapeMarkdown(l)}`)
    .join('\n');
  const lines = [
    a.exercise ? '**EXERCISE: this is an exercise, not a real incident.**\n' : null,
    `**Batsignal #${a.number}** was raised by ${escapeMarkdown(from)} at ${formatUkTime(a.created_at)} and sent to members by text and email.`,
    '',
    quoted,
    '',
    `Members: acknowledge by texting **ACK ${a.number}** to ${displayNumber(batsignalNumber)}.`,
    'Use this topic to share what you see and how you are responding. No patient data.',
  ];
  return { title: topicTitle(a), raw: lines.filter((l): l is string => l !== null).join('\n') };
}

/** An UPDATE or ALLCLEAR as a reply in the alert's topic (the FollowUpWords of the outbox row). */
export interface FollowUpPostFacts {
  kind: 'update' | 'allclear';
  from: string;
  text: string;
  at: Date;
}

/**
 * The reply's Markdown, ending with `marker` (an HTML comment: invisible on the forum, kept in the
 * post's raw), by which a later attempt finds a reply an earlier one posted without knowing it.
 */
export function renderReply(a: Pick<AlertTopicFacts, 'number' | 'exercise'>, f: FollowUpPostFacts, batsignalNumber: string, marker: string): string {
  const what = f.kind === 'update' ? 'UPDATE' : 'ALL CLEAR';
  const words = f.text.trim() || (f.kind === 'allclear' ? 'The alert is stood down.' : '');
  const quoted = words
    .split(/\r?\n/)
    .map((l) => `> ${escapeMarkdown(l)}`)
    .join('\n');
  const lines = [
    a.exercise ? '**EXERCISE: this is an exercise, not a real incident.**\n' : null,
    `**Batsignal #${a.number} ${what}** from ${escapeMarkdown(f.from)} at ${formatUkTime(f.at)}, sent to members by text and email.`,
    '',
    quoted,
    '',
    f.kind === 'allclear'
      ? `No further action is needed on #${a.number}.`
      : `Members who have not acknowledged yet: text **ACK ${a.number}** to ${displayNumber(batsignalNumber)}.`,
    '',
    marker,
  ];
  return lines.filter((l): l is string => l !== null).join('\n');
}
