// The words members see for an alert. Pure.
import { countSegments, normaliseGsm7 } from '../text/gsm7.js';

export interface AlertWords {
  number: number;
  raiserName: string;
  raiserOrg: string;
  summary: string;
  exercise: boolean;
}

/** A broadcast costs at most this many SMS segments per member (459 GSM-7 characters, 201 UCS-2). */
export const MAX_BROADCAST_SEGMENTS = 3;
const ELLIPSIS = '...';
const MAX_FROM_CHARS = 40; // name and organisation each: the header always leaves room for a summary

const exerciseTag = (a: { exercise: boolean }) => (a.exercise ? 'EXERCISE ' : '');

const flat = (s: string) => normaliseGsm7(s).replace(/\s+/g, ' ').trim();

/** The start of `s` in at most `max` code points, cut at a word boundary when one is near, with "..." when cut. */
function cut(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const head = chars.slice(0, Math.max(0, max - ELLIPSIS.length)).join('');
  const space = head.lastIndexOf(' ');
  const word = space > head.length * 0.7 ? head.slice(0, space) : head;
  return word.replace(/[\s.,;:-]+$/, '') + ELLIPSIS;
}

/**
 * BATSIGNAL #12 from Jane Smith (Northtown Trust): <summary>. Reply ACK 12 to confirm.
 * GSM-7 where the content allows (typographic quotes, dashes and ellipses normalised), and never
 * more than MAX_BROADCAST_SEGMENTS segments: a long summary is cut visibly, ending in "...".
 */
export function broadcastText(a: AlertWords): string {
  const name = cut(flat(a.raiserName), MAX_FROM_CHARS);
  const org = cut(flat(a.raiserOrg), MAX_FROM_CHARS);
  const from = org ? `${name} (${org})` : name;
  const summary = flat(a.summary).replace(/[.\s]+$/, '');
  const tail = a.exercise ? ' THIS IS AN EXERCISE.' : '';
  const compose = (s: string) => `${exerciseTag(a)}BATSIGNAL #${a.number} from ${from}: ${s}${s.endsWith(ELLIPSIS) ? '' : '.'} Reply ACK ${a.number} to confirm.${tail}`;

  const whole = compose(summary);
  if (countSegments(whole).segments <= MAX_BROADCAST_SEGMENTS) return whole;
  // The longest visibly-cut summary that fits (binary search on its length in code points).
  let lo = 0;
  let hi = [...summary].length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countSegments(compose(cut(summary, mid))).segments <= MAX_BROADCAST_SEGMENTS) lo = mid;
    else hi = mid - 1;
  }
  return compose(cut(summary, Math.max(lo, ELLIPSIS.length)));
}
