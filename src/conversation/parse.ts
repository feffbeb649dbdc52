// What a member's text means, without context. Pure.
//
// Tolerant of case, surrounding spaces and punctuation ("ack", "Ack 12.", " CONFIRM 4821 ",
// "ACK #12", "ACK12"), strict about meaning: a keyword counts only when the whole text has that
// command's shape, so a description such as "Stop clicking links in the NHS.net email" is free
// text. Opting out in particular takes one of the exact words STOP, STOPALL or UNSUBSCRIBE alone:
// an emergency list must not lose people by accident. The decisions are listed in
// docs/conversation.md.
import { plainText } from '../text/plain.js';
import { MAX_ALERT_NUMBER } from '../alerts/number.js';

export { plainText };

export type Command =
  | { kind: 'raise'; summary: string | null; exercise: boolean }
  | { kind: 'yes' }
  | { kind: 'no' }
  | { kind: 'confirm'; code: string | null }
  | { kind: 'cancel' }
  /** loose: said as OK/OKAY, which is an ACK unless the member is in the middle of a raise. */
  /** text: words after the number, when there are any ("ACK 14 A81001": an advisory answer for one organisation). */
  | { kind: 'ack'; alert: number | null; loose: boolean; text?: string }
  | { kind: 'status'; alert: number | null }
  | { kind: 'help' }
  | { kind: 'stop' }
  | { kind: 'start' }
  /** JOIN: the reply to the welcome text, verifying the member's number (not YES: that answers a raise). */
  | { kind: 'join' }
  | { kind: 'update'; alert: number | null; text: string }
  | { kind: 'allclear'; alert: number | null; text: string }
  /** AFFECTED / NOT AFFECTED / NEED HELP [n] [words]: how it is at the member's organisation. */
  /** raw: the whole text, for when it turns out to be a raise's description ("Affected: EMIS at 3 sites"). */
  | { kind: 'situation'; situation: SituationWord; alert: number | null; text: string; raw: string }
  /** RESOLVED [n] [ODS code]: an advisory's last answer for the organisation(s). */
  | { kind: 'resolved'; alert: number | null; text: string; raw: string }
  | { kind: 'text'; text: string };

export type SituationWord = 'affected' | 'not_affected' | 'need_help';

export type CommandKind = Command['kind'];

// Spaces, punctuation and symbols (emoji included) around the words do not change the meaning.
// Trimmed by scanning code points from each end (trimEdges), never by a regex with a trailing
// `[...]+$`: V8 retries that from every start position, so a run of 40,000 '!' took seconds.
const EDGE = /^[\s\p{P}\p{S}]$/u;
// "#12", "no. 12", ": 12", "12": how people write an alert number after a keyword.
const NUM = String.raw`\s*(?:#|NO\.?|NUMBER|:)?\s*(\d+)`;

// A Map, not an object literal: "CONSTRUCTOR" must not find Object.prototype.constructor.
const WORDS = new Map<string, Command>([
  ['YES', { kind: 'yes' }],
  ['Y', { kind: 'yes' }],
  ['NO', { kind: 'no' }],
  ['N', { kind: 'no' }],
  ['CANCEL', { kind: 'cancel' }],
  ['HELP', { kind: 'help' }],
  ['STOP', { kind: 'stop' }],
  ['STOPALL', { kind: 'stop' }],
  ['UNSUBSCRIBE', { kind: 'stop' }],
  ['START', { kind: 'start' }],
  ['UNSTOP', { kind: 'start' }],
  ['JOIN', { kind: 'join' }],
]);

const ACK = new RegExp(String.raw`^(ACK|ACKNOWLEDGE|ACKNOWLEDGED)(?:${NUM})?(?:\b(.*))?$`, 's');
const OK = new RegExp(String.raw`^(OK|OKAY)(?:${NUM})?$`);
const STATUS = new RegExp(String.raw`^STATUS(?:${NUM})?$`);
const CONFIRM = /^CONFIRM(?:ED)?\s*[:#]?\s*([\d\s-]*)$/;
const RAISE = /^RAISE\b[\s:,.-]*(?:(EXERCISE)\b[\s:,.-]*)?(.*)$/is;
const UPDATE = new RegExp(String.raw`^UPDATE(?:${NUM})?\b[\s:,.-]*(.*)$`, 'is');
const ALLCLEAR = new RegExp(String.raw`^ALL[\s-]*CLEAR(?:${NUM})?\b[\s:,.-]*(.*)$`, 'is');
// "NOT AFFECTED 12", "not-affected", "Unaffected #12", "AFFECTED 12 3 PCs down", "need help 12 no backups".
const RESOLVED = new RegExp(String.raw`^RESOLVED?(?:${NUM})?\b[\s:,.-]*(.*)$`, 'is');
const SITUATION = new RegExp(String.raw`^(NOT[\s-]*AFFECTED|UNAFFECTED|AFFECTED|NEED[\s-]*HELP)(?:${NUM})?\b[\s:,.-]*(.*)$`, 'is');

/**
 * The alert number typed. A run of more than 15 digits (attackers send hundreds) is read as
 * MAX_ALERT_NUMBER + 1: it names no alert, so the member is told so, and it stays an integer
 * (Number() of 400 digits was Infinity: "no alert #Infinity"; found by the parser's property test).
 */
function num(s: string | undefined): number | null {
  if (s === undefined) return null;
  const digits = s.replace(/^0+(?=\d)/, '');
  // Up to 15 digits is exact (the reply can quote it); beyond, only "no such alert" matters.
  return digits.length <= 15 ? Number(digits) : MAX_ALERT_NUMBER + 1;
}

const isEdge = (ch: string): boolean => EDGE.test(ch);

/** Index of the first code point that is not an edge (s.length if none). Linear. */
function edgeStart(s: string): number {
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!isEdge(ch)) return i;
    i += ch.length;
  }
  return i;
}

/** Index just past the last code point that is not an edge (0 if none). Linear. */
function edgeEnd(s: string): number {
  let j = s.length;
  while (j > 0) {
    const low = s.charCodeAt(j - 1);
    const high = j >= 2 ? s.charCodeAt(j - 2) : 0;
    const width = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
    if (!isEdge(s.slice(j - width, j))) return j;
    j -= width;
  }
  return j;
}

/** The text without spaces, punctuation and symbols at either end, in time linear in its length. */
export function trimEdges(s: string): string {
  const start = edgeStart(s);
  return start === s.length ? '' : s.slice(start, edgeEnd(s));
}

function words(s: string): string | null {
  const t = s.trim();
  return edgeStart(t) === t.length ? null : t;
}

export function parseCommand(input: string): Command {
  const text = plainText(input);
  const core = trimEdges(text);
  const upper = core.toUpperCase();

  const word = WORDS.get(upper);
  if (word) return word;

  let m = OK.exec(upper);
  if (m) return { kind: 'ack', alert: num(m[2]), loose: true };
  m = ACK.exec(upper);
  if (m) {
    const rest = m[3]?.trim() ?? '';
    return rest === '' ? { kind: 'ack', alert: num(m[2]), loose: false } : { kind: 'ack', alert: num(m[2]), loose: false, text: rest };
  }
  m = STATUS.exec(upper);
  if (m) return { kind: 'status', alert: num(m[1]) };
  m = CONFIRM.exec(upper);
  if (m) {
    const code = m[1]!.replace(/[\s-]/g, '');
    return { kind: 'confirm', code: code === '' ? null : code };
  }

  // Commands that carry the member's own words keep them as written (less the edges' spaces).
  const own = text.slice(edgeStart(text));
  m = RAISE.exec(own);
  if (m) return { kind: 'raise', exercise: m[1] !== undefined, summary: words(m[2]!) };
  m = UPDATE.exec(own);
  if (m) return { kind: 'update', alert: num(m[1]), text: words(m[2]!) ?? '' };
  m = ALLCLEAR.exec(own);
  if (m) return { kind: 'allclear', alert: num(m[1]), text: words(m[2]!) ?? '' };
  m = RESOLVED.exec(own);
  if (m) return { kind: 'resolved', alert: num(m[1]), text: words(m[2]!) ?? '', raw: text };
  m = SITUATION.exec(own);
  if (m) {
    const w = m[1]!.toUpperCase();
    const situation: SituationWord = w.startsWith('NEED') ? 'need_help' : w === 'AFFECTED' ? 'affected' : 'not_affected';
    return { kind: 'situation', situation, alert: num(m[2]), text: words(m[3]!) ?? '', raw: text };
  }

  return { kind: 'text', text };
}
