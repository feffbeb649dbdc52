// What Vonage's answers mean for an outbox row. Pure tables, from the SMS API reference
// (../shared/PROTOCOLS.md): send statuses, receipt statuses and receipt error codes.
import type { ReceiptStatus } from '../../outbox/receipts.js';

export type SendVerdict = { kind: 'ok' } | { kind: 'retry'; reason: string } | { kind: 'permanent'; reason: string };

/** Send-response `status` values. Retry: the provider may take it later; permanent: it never will. */
export const SEND_STATUS: Readonly<Record<string, { retry: boolean; reason: string }>> = {
  '1': { retry: true, reason: 'throttled' },
  '2': { retry: false, reason: 'missing parameters' },
  '3': { retry: false, reason: 'invalid parameters' },
  '4': { retry: false, reason: 'invalid credentials' },
  '5': { retry: true, reason: 'internal error' },
  '6': { retry: false, reason: 'invalid message' },
  '7': { retry: false, reason: 'number barred' },
  '8': { retry: false, reason: 'partner account barred' },
  '9': { retry: false, reason: 'partner quota exceeded (no credit)' },
  '10': { retry: true, reason: 'too many existing binds' },
  '11': { retry: false, reason: 'account not enabled for HTTP' },
  '12': { retry: false, reason: 'message too long' },
  '14': { retry: false, reason: 'invalid signature' },
  '15': { retry: false, reason: 'invalid sender address' },
  '22': { retry: false, reason: 'invalid network code' },
  '23': { retry: false, reason: 'invalid callback URL' },
  '29': { retry: false, reason: 'non-whitelisted destination' },
  '32': { retry: false, reason: 'signature and API secret disallowed' },
  '33': { retry: false, reason: 'number de-activated' },
};

/** A status Vonage has not documented: retried, but only this many attempts (then failed). */
export const UNKNOWN_STATUS_MAX_ATTEMPTS = 3;

/** `status` and `error-text` of one message in a send response → what to do with the row. */
export function sendVerdict(status: string | undefined, errorText: string | undefined, attempts: number): SendVerdict {
  if (status === '0') return { kind: 'ok' };
  const known = status === undefined ? undefined : SEND_STATUS[status];
  const detail = errorText ? `: ${errorText}` : '';
  if (known) return known.retry ? { kind: 'retry', reason: `vonage ${status} ${known.reason}${detail}` } : { kind: 'permanent', reason: `vonage ${status} ${known.reason}${detail}` };
  const reason = `vonage status ${status ?? '(none)'} undocumented${detail}`;
  return attempts < UNKNOWN_STATUS_MAX_ATTEMPTS ? { kind: 'retry', reason } : { kind: 'permanent', reason: `${reason} (after ${attempts} attempts)` };
}

/** Wait Vonage asks for in a throttling answer ("... please wait [ 978 ] and retry"), in ms. */
export function throttleWaitMs(errorText: string | undefined): number | undefined {
  const m = errorText?.match(/wait\s*\[\s*(\d{1,6})\s*\]/i);
  return m ? Number(m[1]) : undefined;
}

/** Vonage's receipt `status` values, each mapped to ours (src/outbox/receipts.ts): today one to one. */
const RECEIPT_STATUS: Readonly<Record<string, ReceiptStatus>> = {
  accepted: 'accepted',
  delivered: 'delivered',
  buffered: 'buffered',
  expired: 'expired',
  failed: 'failed',
  rejected: 'rejected',
  unknown: 'unknown',
};

/** Our receipt status for a Vonage receipt `status` (any case), or undefined when Vonage has no such status. */
export function receiptStatusOf(vonageStatus: string): ReceiptStatus | undefined {
  return Object.hasOwn(RECEIPT_STATUS, vonageStatus) ? RECEIPT_STATUS[vonageStatus] : undefined;
}

/** Receipt `err-code` values. */
export const RECEIPT_ERROR: Readonly<Record<string, string>> = {
  '1': 'unknown',
  '2': 'absent subscriber (temporary)',
  '3': 'absent subscriber (permanent)',
  '4': 'call barred by user',
  '5': 'portability error',
  '6': 'anti-spam rejection',
  '7': 'handset busy',
  '8': 'network error',
  '9': 'illegal number (opted out)',
  '10': 'illegal message',
  '11': 'unroutable',
  '12': 'destination unreachable',
  '13': 'subscriber age restriction',
  '14': 'number blocked by carrier',
  '15': 'prepaid insufficient funds',
  '50': 'entity filter',
  '51': 'header filter',
  '52': 'content filter',
  '53': 'consent filter',
  '54': 'regulation error',
  '99': 'general error',
};

/** "3: absent subscriber (permanent)"; null when the code says all is well. */
export function receiptError(errCode: string | undefined): string | null {
  if (errCode === undefined || errCode === '' || errCode === '0') return null;
  return `${errCode}: ${RECEIPT_ERROR[errCode] ?? 'undocumented error code'}`;
}
