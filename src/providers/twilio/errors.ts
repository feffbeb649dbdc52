// What Twilio's answers mean for an outbox row. Pure tables, from Twilio's error dictionary
// (https://www.twilio.com/docs/api/errors) and its message status values.
import type { ProviderOutcome } from '../outcome.js';

type Kind = 'throttle' | 'provider' | 'permanent' | 'opted_out';

/** REST error codes on POST /Messages.json. Unlisted 4xx codes are permanent, 5xx a provider fault. */
export const SEND_ERROR: Readonly<Record<number, { kind: Kind; reason: string }>> = {
  20003: { kind: 'provider', reason: 'authentication failed' },
  20005: { kind: 'provider', reason: 'account not active' },
  20429: { kind: 'throttle', reason: 'too many requests' },
  20500: { kind: 'provider', reason: 'internal server error' },
  20503: { kind: 'provider', reason: 'service unavailable' },
  21211: { kind: 'permanent', reason: "invalid 'To' phone number" },
  21214: { kind: 'permanent', reason: "'To' phone number cannot be reached" },
  21408: { kind: 'provider', reason: 'sending to this region is not enabled on the account' },
  21602: { kind: 'permanent', reason: 'message body is required' },
  21606: { kind: 'provider', reason: "the 'From' number is not an SMS-capable number of this account" },
  21608: { kind: 'provider', reason: 'trial account: recipient not verified' },
  21610: { kind: 'opted_out', reason: 'recipient unsubscribed (replied STOP to the Twilio number)' },
  21611: { kind: 'throttle', reason: "the 'From' number has too many queued messages" },
  21612: { kind: 'permanent', reason: "'To' number is not reachable by SMS" },
  21614: { kind: 'permanent', reason: "'To' number is not a mobile number" },
  21617: { kind: 'permanent', reason: 'message body longer than 1600 characters' },
  30001: { kind: 'throttle', reason: 'queue overflow' },
  30002: { kind: 'provider', reason: 'account suspended' },
};

export interface TwilioFailure {
  /** HTTP status of the answer. */
  status: number;
  /** Twilio's error code in the body, when it sent one. */
  code: number | undefined;
  message: string | undefined;
  retryAfterMs: number | undefined;
}

/** An HTTP error answer from the Messages resource → what to do with the row. */
export function outcomeOfFailure(f: TwilioFailure): ProviderOutcome {
  const known = f.code !== undefined ? SEND_ERROR[f.code] : undefined;
  const label = `twilio ${f.code ?? `HTTP ${f.status}`}`;
  const error = `${label} ${known?.reason ?? f.message ?? 'error'}`.trim();
  const after = f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {};
  const kind: Kind = known?.kind ?? (f.status === 429 ? 'throttle' : f.status >= 500 || f.status === 401 || f.status === 403 ? 'provider' : 'permanent');
  switch (kind) {
    case 'throttle':
      return { ok: false, retry: true, throttled: true, error, ...after };
    case 'provider':
      return { ok: false, retry: true, providerFault: true, error, ...after };
    case 'opted_out':
      return { ok: false, retry: false, optedOut: true, error };
    case 'permanent':
      return { ok: false, retry: false, error };
  }
}

/** Message statuses Twilio reports, mapped onto the receipt statuses the outbox keeps. */
export const TWILIO_STATUS: Readonly<Record<string, 'accepted' | 'buffered' | 'delivered' | 'failed' | 'rejected'>> = {
  accepted: 'accepted',
  scheduled: 'accepted',
  queued: 'accepted',
  sending: 'accepted',
  sent: 'buffered',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'failed',
  failed: 'rejected',
  canceled: 'rejected',
};

/** Delivery error codes carried by status callbacks (ErrorCode). */
export const DELIVERY_ERROR: Readonly<Record<string, string>> = {
  '30001': 'queue overflow',
  '30002': 'account suspended',
  '30003': 'unreachable destination handset',
  '30004': 'message blocked',
  '30005': 'unknown destination handset',
  '30006': 'landline or unreachable carrier',
  '30007': 'carrier filtered the message',
  '30008': 'unknown error',
  '30009': 'missing segment',
  '30010': 'message price exceeds max price',
  '21610': 'recipient unsubscribed',
};

/** "30003: unreachable destination handset"; null when there is no error code. */
export function deliveryError(code: string | undefined): string | null {
  if (code === undefined || code === '' || code === '0') return null;
  return `twilio ${code}: ${DELIVERY_ERROR[code] ?? 'delivery error'}`;
}
