// What a simulated phone's text looks like when it reaches Batsignal: the fields Vonage's SMS API
// posts to the inbound webhook, split into concatenated parts the way a handset splits a long
// text, and signed when the service checks signatures. Pure (time and ids are passed in).
import type { SignatureMethod } from '../config.js';
import { signVonageParams, type WebhookParams } from '../providers/vonage-sms/signature.js';

// GSM 03.38 default alphabet, and the extension table (each extension character costs two septets).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';
const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export const isGsm7 = (text: string): boolean => [...text].every((c) => basic.has(c) || extension.has(c));

export interface TextPart {
  text: string;
  type: 'text' | 'unicode';
}

/**
 * Splits a text as a phone does: GSM-7 up to 160 septets in one message, else parts of 153;
 * UCS-2 up to 70 code units, else parts of 67. A character is never cut in two.
 */
export function splitText(text: string): TextPart[] {
  const gsm = isGsm7(text);
  const type = gsm ? 'text' : 'unicode';
  const cost = (c: string) => (gsm ? (extension.has(c) ? 2 : 1) : c.length);
  const chars = [...text];
  const total = chars.reduce((n, c) => n + cost(c), 0);
  if (total <= (gsm ? 160 : 70)) return [{ text, type }];
  const size = gsm ? 153 : 67;
  const parts: TextPart[] = [];
  let current = '';
  let used = 0;
  for (const c of chars) {
    if (used + cost(c) > size) {
      parts.push({ text: current, type });
      current = '';
      used = 0;
    }
    current += c;
    used += cost(c);
  }
  parts.push({ text: current, type });
  return parts;
}

/** Vonage's message-timestamp: YYYY-MM-DD HH:MM:SS in UTC. */
export const vonageTimestamp = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');

export interface InboundRequestInput {
  /** Sender, international digits without '+'. */
  msisdn: string;
  /** Our number as Vonage writes it. */
  to: string;
  text: string;
  now: Date;
  /** One unique id per part (Vonage's messageId). */
  newMessageId: () => string;
  /** Reference shared by the parts of one long text. */
  concatRef: string;
  signature: { secret: string; method: SignatureMethod } | undefined;
}

/** One webhook request per part, in part order. */
export function inboundRequests(input: InboundRequestInput): WebhookParams[] {
  const parts = splitText(input.text);
  const keyword = (input.text.trim().split(/\s+/)[0] ?? '').toUpperCase();
  return parts.map((part, i) => {
    const params: WebhookParams = {
      msisdn: input.msisdn,
      to: input.to,
      messageId: input.newMessageId(),
      text: part.text,
      type: part.type,
      keyword,
      'message-timestamp': vonageTimestamp(input.now),
      timestamp: String(Math.floor(input.now.getTime() / 1000)),
    };
    if (parts.length > 1) {
      params.concat = 'true';
      params['concat-ref'] = input.concatRef;
      params['concat-part'] = String(i + 1);
      params['concat-total'] = String(parts.length);
    }
    if (!input.signature) return params;
    params.nonce = input.newMessageId();
    return signVonageParams(params, input.signature.secret, input.signature.method);
  });
}
