// GSM 03.38: which texts travel as 7-bit GSM and what they cost. Pure.
// A single typographic quote turns a 1-segment GSM-7 text into a 2- or 3-segment UCS-2 one
// (70 characters per segment instead of 160), so outbound texts are normalised first.

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Extension table: sent as ESC + char, so each costs two septets. */
const EXTENSION = '^{}\\[~]|€\f';

const basic = new Set(BASIC);
const extension = new Set(EXTENSION);

export type SmsEncoding = 'gsm7' | 'ucs2';

export const GSM7_SINGLE = 160;
export const GSM7_PART = 153; // 7 septets go to the concatenation header
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;

// Characters with an exact GSM-7 spelling that phone keyboards and word processors substitute.
const REPLACEMENTS: [RegExp, string][] = [
  [/[\u2018\u2019\u201A\u201B\u2032\u00B4\u0060]/g, "'"], // curly/low/reversed single quotes, prime, acute, backtick
  [/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"'], // curly/low double quotes, double prime, guillemets
  [/[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]/g, '-'], // hyphens, dashes, minus
  [/\u2026/g, '...'],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000\t]/g, ' '], // non-breaking and typographic spaces, tab
  [/[\u00AD\u200B-\u200D\u2060\uFEFF]/g, ''], // soft hyphen, zero-width characters, BOM
  [/[\u2022\u2023\u2043\u25CF\u00B7]/g, '-'], // bullets
  [/\u2044/g, '/'], // fraction slash
  [/\u00E7/g, 'Ç'], // GSM-7 has only the capital; handsets show it for both
];

/** Replaces typographic characters by their GSM-7 forms; leaves content that has none (emoji, other scripts) alone. */
export function normaliseGsm7(text: string): string {
  let s = text.normalize('NFC');
  for (const [re, to] of REPLACEMENTS) s = s.replace(re, to);
  return s;
}

export const isGsm7 = (text: string): boolean => {
  for (const c of text) if (!basic.has(c) && !extension.has(c)) return false;
  return true;
};

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Septets (GSM-7, extension characters counting 2) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

/**
 * Segments a handset or Vonage would send. A multi-part text is cut where a part is full, never
 * inside an escape pair (GSM-7) or a surrogate pair (UCS-2), so a part may carry one unit less.
 */
export function countSegments(text: string): SegmentCount {
  const encoding: SmsEncoding = isGsm7(text) ? 'gsm7' : 'ucs2';
  const costs: number[] = [];
  for (const c of text) costs.push(encoding === 'gsm7' ? (extension.has(c) ? 2 : 1) : c.length);
  const units = costs.reduce((a, b) => a + b, 0);
  if (units === 0) return { encoding, units, segments: 1 };
  if (units <= (encoding === 'gsm7' ? GSM7_SINGLE : UCS2_SINGLE)) return { encoding, units, segments: 1 };
  const part = encoding === 'gsm7' ? GSM7_PART : UCS2_PART;
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > part) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return { encoding, units, segments };
}

/** The largest number of units `segments` segments carry (ignoring pairs that would not fit a boundary). */
export function capacity(encoding: SmsEncoding, segments: number): number {
  if (segments <= 1) return encoding === 'gsm7' ? GSM7_SINGLE : UCS2_SINGLE;
  return segments * (encoding === 'gsm7' ? GSM7_PART : UCS2_PART);
}
