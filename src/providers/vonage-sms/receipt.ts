// Vonage SMS delivery receipts: the fields we act on, allow-listed, mapped to our receipt
// vocabulary (src/outbox/receipts.ts) before the outbox sees them.
import type { Receipt } from '../../outbox/receipts.js';
import type { WebhookParams } from './signature.js';
import { receiptError, receiptStatusOf } from './status-map.js';
import { CLIENT_REF_MAX, MESSAGE_ID, MESSAGE_ID_RULE, NUMBER } from './fields.js';

/** The receipt's fields we act on, or what is wrong with them. */
export function parseReceipt(p: WebhookParams): { ok: true; receipt: Receipt } | { ok: false; message: string } {
  const given = p.status?.trim().toLowerCase();
  if (!given) return { ok: false, message: 'status is missing' };
  const status = receiptStatusOf(given);
  if (status === undefined) return { ok: false, message: `status "${given.slice(0, 20)}" is not a Vonage receipt status` };
  const messageId = p.messageId ?? p['message-id'];
  if (messageId !== undefined && !MESSAGE_ID.test(messageId)) return { ok: false, message: `messageId ${MESSAGE_ID_RULE}` };
  const clientRef = p['client-ref'];
  if (clientRef !== undefined && clientRef.length > CLIENT_REF_MAX) return { ok: false, message: `client-ref is longer than ${CLIENT_REF_MAX} characters` };
  if (messageId === undefined && clientRef === undefined) return { ok: false, message: 'messageId or client-ref is required' };
  const errCode = p['err-code'];
  if (errCode !== undefined && !/^\d{1,4}$/.test(errCode)) return { ok: false, message: 'err-code must be a number' };
  const msisdn = p.msisdn;
  if (msisdn !== undefined && !NUMBER.test(msisdn)) return { ok: false, message: 'msisdn must be an international number' };
  return {
    ok: true,
    receipt: { clientRef, messageId, msisdn, status, error: status === 'delivered' ? null : receiptError(errCode) ?? (status === 'accepted' || status === 'buffered' ? null : status) },
  };
}
