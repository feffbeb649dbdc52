// Allow-list and validation of Vonage inbound SMS fields (after the signature check).
// Only the fields below are read; any other field Vonage adds is signed over but otherwise ignored.
import type { ConcatInfo, InboundSms } from '../../inbound/message.js';
import { isInterpretedType } from '../../inbound/message.js';
import type { WebhookParams } from './signature.js';
import { MAX_FIELDS, MESSAGE_ID, MESSAGE_ID_RULE, NUMBER, SENDER } from './fields.js';

/** Vonage accepts texts up to 3,200 characters; anything longer did not come from a phone. */
export const MAX_TEXT_CHARS = 3200;
/** GSM concatenation carries at most 255 parts in its UDH. */
const MAX_PARTS = 255;

export type { ConcatInfo, InboundSms };

export type ParsedInbound = { ok: true; sms: InboundSms } | { ok: false; message: string };

const CONCAT_REF = /^[A-Za-z0-9_-]{1,40}$/;
const SMALL_INT = /^\d{1,3}$/;
const KNOWN_TYPES = /^[a-z_-]{1,20}$/;

// C0 and C1 controls except tab, LF and CR. NUL in particular cannot be stored in PostgreSQL text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** What we store and interpret: control characters removed, lone surrogates replaced. */
export function cleanText(raw: string): string {
  return raw.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, '');
}

function concatInfo(p: WebhookParams): { ok: true; concat: ConcatInfo | undefined } | { ok: false; message: string } {
  const flag = p.concat;
  const ref = p['concat-ref'];
  const part = p['concat-part'];
  const total = p['concat-total'];
  const anyField = ref !== undefined || part !== undefined || total !== undefined;
  if (flag !== undefined && flag !== 'true' && flag !== 'false') return { ok: false, message: 'concat must be "true" or "false"' };
  if (flag !== 'true' && !anyField) return { ok: true, concat: undefined };
  if (flag === 'false') return { ok: false, message: 'concat is "false" but concat-ref/concat-part/concat-total were sent' };
  if (ref === undefined || part === undefined || total === undefined) {
    return { ok: false, message: 'a multipart text needs concat-ref, concat-part and concat-total' };
  }
  if (!CONCAT_REF.test(ref)) return { ok: false, message: 'concat-ref must be 1 to 40 letters or digits' };
  if (!SMALL_INT.test(part) || !SMALL_INT.test(total)) return { ok: false, message: 'concat-part and concat-total must be whole numbers' };
  const n = Number(part);
  const of = Number(total);
  if (of < 1 || of > MAX_PARTS) return { ok: false, message: `concat-total must be between 1 and ${MAX_PARTS}` };
  if (n < 1 || n > of) return { ok: false, message: 'concat-part must be between 1 and concat-total' };
  return { ok: true, concat: { ref, part: n, total: of } };
}

/** Validates the fields we rely on; a failure is a 400 with this message (never a 5xx). */
export function parseInbound(p: WebhookParams): ParsedInbound {
  if (Object.keys(p).length > MAX_FIELDS) return { ok: false, message: `too many fields (at most ${MAX_FIELDS})` };
  const { messageId, msisdn, to } = p;
  if (messageId === undefined) return { ok: false, message: 'messageId is required' };
  if (!MESSAGE_ID.test(messageId)) return { ok: false, message: `messageId ${MESSAGE_ID_RULE}` };
  if (msisdn === undefined) return { ok: false, message: 'msisdn is required' };
  if (!SENDER.test(msisdn)) return { ok: false, message: 'msisdn must be international digits without "+" (or a sender id of letters and digits)' };
  if (to === undefined) return { ok: false, message: 'to is required' };
  if (!NUMBER.test(to)) return { ok: false, message: 'to must be international digits without "+"' };

  // Vonage always sends type; a request without one is read as plain text (the documented default).
  const type = p.type ?? 'text';
  if (!KNOWN_TYPES.test(type)) return { ok: false, message: 'type must be text, unicode or binary' };
  const interpreted = isInterpretedType(type);
  const raw = p.text;
  if (interpreted && raw === undefined) return { ok: false, message: `text is required for type ${type}` };
  if (raw !== undefined && raw.length > MAX_TEXT_CHARS) {
    return { ok: false, message: `text is longer than ${MAX_TEXT_CHARS} characters` };
  }
  const concat = concatInfo(p);
  if (!concat.ok) return concat;
  return {
    ok: true,
    // Binary payloads are never interpreted, so their (hex) content is not kept.
    sms: { messageId, msisdn, to, type, text: interpreted ? cleanText(raw ?? '') : '', concat: concat.concat },
  };
}
