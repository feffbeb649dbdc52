// Twilio's webhooks: the signature check (the SDK's validateRequest over the URL Twilio called,
// built from PUBLIC_URL) and the allow-listed fields of an inbound text and a status callback.
// Twilio posts form-encoded fields; every value has been checked to be one string by the edge.
import { deliveryError, TWILIO_STATUS } from './errors.js';
import { twilioSdk } from './client.js';

type Params = Record<string, string>;

/**
 * True when `signature` (X-Twilio-Signature) is Twilio's HMAC-SHA1 of the full URL it called
 * (PUBLIC_URL + path + query) and the POST fields, under one of our auth tokens.
 */
export function verifyTwilioSignature(authTokens: readonly string[], signature: string | undefined, url: string, params: Params): boolean {
  if (!signature) return false;
  return authTokens.some((token) => twilioSdk().validateRequest(token, signature, url, params));
}

const SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/;
const NUMBER = /^\+?\d{3,15}$/;
const SENDER = /^\+?[A-Za-z0-9]{1,20}$/;
/** Twilio concatenates a long text for us and refuses bodies over 1,600 characters. */
export const TWILIO_MAX_BODY = 1600;

export interface TwilioInbound {
  messageSid: string;
  /** Sender, digits without '+'. */
  from: string;
  /** Our number it was sent to, digits without '+'. */
  to: string;
  body: string;
}

const digits = (n: string) => n.replace(/^\+/, '');

function checkAccount(p: Params, accountSid: string): string | undefined {
  if (p.AccountSid === undefined) return 'AccountSid is required';
  if (p.AccountSid !== accountSid) return 'AccountSid is not this account';
  return undefined;
}

export function parseTwilioInbound(p: Params, accountSid: string): { ok: true; sms: TwilioInbound } | { ok: false; message: string } {
  const account = checkAccount(p, accountSid);
  if (account) return { ok: false, message: account };
  const sid = p.MessageSid ?? p.SmsSid;
  if (sid === undefined || !SID.test(sid)) return { ok: false, message: 'MessageSid is missing or malformed' };
  if (p.From === undefined || !SENDER.test(p.From)) return { ok: false, message: 'From must be a phone number' };
  if (p.To === undefined || !NUMBER.test(p.To)) return { ok: false, message: 'To must be a phone number' };
  const body = p.Body ?? '';
  if (body.length > TWILIO_MAX_BODY) return { ok: false, message: `Body is longer than ${TWILIO_MAX_BODY} characters` };
  return { ok: true, sms: { messageSid: sid, from: digits(p.From), to: digits(p.To), body } };
}

export interface TwilioReceipt {
  /** Our outbox id, from the status callback URL's ?ref=. */
  clientRef: string | undefined;
  messageId: string;
  /** Recipient, digits without '+'. */
  msisdn: string | undefined;
  status: (typeof TWILIO_STATUS)[string];
  error: string | null;
}

export function parseTwilioStatus(p: Params, ref: string | undefined, accountSid: string): { ok: true; receipt: TwilioReceipt } | { ok: false; message: string } {
  const account = checkAccount(p, accountSid);
  if (account) return { ok: false, message: account };
  const sid = p.MessageSid ?? p.SmsSid;
  if (sid === undefined || !SID.test(sid)) return { ok: false, message: 'MessageSid is missing or malformed' };
  const raw = (p.MessageStatus ?? p.SmsStatus)?.toLowerCase();
  if (raw === undefined) return { ok: false, message: 'MessageStatus is required' };
  const status = TWILIO_STATUS[raw];
  if (!status) return { ok: false, message: `MessageStatus "${raw.slice(0, 20)}" is not a Twilio message status` };
  if (ref !== undefined && !/^\d{1,18}$/.test(ref)) return { ok: false, message: 'ref must be an outbox id' };
  if (p.To !== undefined && !NUMBER.test(p.To)) return { ok: false, message: 'To must be a phone number' };
  const code = p.ErrorCode;
  if (code !== undefined && code !== '' && !/^\d{1,6}$/.test(code)) return { ok: false, message: 'ErrorCode must be a number' };
  const error = status === 'delivered' ? null : deliveryError(code) ?? (status === 'failed' || status === 'rejected' ? `twilio ${raw}` : null);
  return { ok: true, receipt: { clientRef: ref, messageId: sid, msisdn: p.To === undefined ? undefined : digits(p.To), status, error } };
}
