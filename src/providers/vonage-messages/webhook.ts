// The Messages API's signed webhooks (inbound texts and message statuses). Vonage signs each with
// a JWT (HS256, the account's signature secret) in `Authorization: Bearer`. The SDK's check
// (@vonage/jwt verifySignature) covers the signature only, so this also checks what it does not:
// `payload_hash` is the SHA-256 of the raw body (else the body could be swapped under a valid
// token), `iat` is recent, and (in replay.ts, in PostgreSQL) `jti` was never seen before.
import { createHash, timingSafeEqual } from 'node:crypto';
import { verifySignature } from '@vonage/jwt';
import { MESSAGES_STATUS } from './errors.js';

/** A token older than this is refused; its jti is kept at least this long (replay.ts). */
export const MAX_TOKEN_AGE_SECONDS = 300;
/** Clocks differ a little: an iat up to this far ahead is accepted. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

export type JwtCheck =
  | { ok: true; jti: string; iat: number }
  | { ok: false; reason: 'missing' | 'bad_signature' | 'bad_claims' | 'stale' | 'payload_hash' };

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the bearer token of one webhook against the raw body it came with. Pure but for the SDK call. */
export function verifyMessagesJwt(authorization: string | undefined, rawBody: string, secrets: readonly string[], nowMs: number): JwtCheck {
  const m = authorization?.match(/^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i);
  if (!m) return { ok: false, reason: 'missing' };
  const token = m[1]!;
  const [head, body] = token.split('.') as [string, string, string];
  // Only HS256 with a shared secret: a token naming another algorithm is not Vonage's.
  if (decodePart(head)?.alg !== 'HS256') return { ok: false, reason: 'bad_signature' };
  if (!secrets.some((secret) => verifySignature(token, secret))) return { ok: false, reason: 'bad_signature' };
  const claims = decodePart(body);
  const iat = claims?.iat;
  const jti = claims?.jti;
  const hash = claims?.payload_hash;
  if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof jti !== 'string' || jti.length === 0 || jti.length > 200 || typeof hash !== 'string') {
    return { ok: false, reason: 'bad_claims' };
  }
  const now = nowMs / 1000;
  if (iat < now - MAX_TOKEN_AGE_SECONDS || iat > now + MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'stale' };
  const actual = createHash('sha256').update(rawBody, 'utf8').digest();
  const claimed = /^[0-9a-fA-F]{64}$/.test(hash) ? Buffer.from(hash, 'hex') : Buffer.alloc(0);
  if (claimed.length !== actual.length || !timingSafeEqual(claimed, actual)) return { ok: false, reason: 'payload_hash' };
  return { ok: true, jti, iat };
}

const UUID = /^[0-9a-fA-F-]{8,64}$/;
const NUMBER = /^\d{3,15}$/;
const SENDER = /^[A-Za-z0-9]{1,20}$/;
export const MESSAGES_MAX_TEXT = 3200;

export interface MessagesInbound {
  messageUuid: string;
  /** Sender, digits without '+'. */
  from: string;
  to: string;
  text: string;
  /** 'text' is interpreted; other message types (an MMS image...) are recorded and ignored. */
  type: string;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function parseMessagesInbound(body: unknown): { ok: true; sms: MessagesInbound } | { ok: false; message: string } {
  const b = obj(body);
  if (!b) return { ok: false, message: 'body must be a JSON object' };
  const uuid = str(b.message_uuid);
  if (!uuid || !UUID.test(uuid)) return { ok: false, message: 'message_uuid is missing or malformed' };
  const channel = str(b.channel);
  if (channel !== undefined && channel !== 'sms') return { ok: false, message: 'only the sms channel is handled' };
  const from = str(b.from)?.replace(/^\+/, '');
  if (!from || !SENDER.test(from)) return { ok: false, message: 'from must be a phone number' };
  const to = str(b.to)?.replace(/^\+/, '');
  if (!to || !NUMBER.test(to)) return { ok: false, message: 'to must be a phone number' };
  const type = str(b.message_type) ?? 'text';
  if (!/^[a-z_]{1,20}$/.test(type)) return { ok: false, message: 'message_type is malformed' };
  const text = b.text === undefined ? '' : str(b.text);
  if (text === undefined) return { ok: false, message: 'text must be a string' };
  if (type === 'text' && b.text === undefined) return { ok: false, message: 'text is required for message_type text' };
  if (text.length > MESSAGES_MAX_TEXT) return { ok: false, message: `text is longer than ${MESSAGES_MAX_TEXT} characters` };
  return { ok: true, sms: { messageUuid: uuid, from, to, text: type === 'text' ? text : '', type } };
}

export interface MessagesReceipt {
  clientRef: string | undefined;
  messageId: string;
  msisdn: string | undefined;
  status: (typeof MESSAGES_STATUS)[string];
  error: string | null;
}

export function parseMessagesStatus(body: unknown): { ok: true; receipt: MessagesReceipt } | { ok: false; message: string } {
  const b = obj(body);
  if (!b) return { ok: false, message: 'body must be a JSON object' };
  const uuid = str(b.message_uuid);
  if (!uuid || !UUID.test(uuid)) return { ok: false, message: 'message_uuid is missing or malformed' };
  const raw = str(b.status)?.toLowerCase();
  if (!raw) return { ok: false, message: 'status is required' };
  const status = MESSAGES_STATUS[raw];
  if (!status) return { ok: false, message: `status "${raw.slice(0, 20)}" is not a Messages API status` };
  const ref = b.client_ref === undefined ? undefined : str(b.client_ref);
  if (ref !== undefined && ref.length > 100) return { ok: false, message: 'client_ref is longer than 100 characters' };
  const to = b.to === undefined ? undefined : str(b.to)?.replace(/^\+/, '');
  if (to !== undefined && !NUMBER.test(to)) return { ok: false, message: 'to must be a phone number' };
  const err = obj(b.error);
  const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  const code = err ? (scalar(err.title) ?? scalar(err.code) ?? '').slice(0, 20) : '';
  const detail = err ? str(err.detail)?.slice(0, 200) : undefined;
  const error = status === 'delivered' || status === 'accepted' ? null : `vonage messages ${raw}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`;
  // client_ref is ours only when it is an outbox id; anything else is ignored, the uuid still matches.
  return { ok: true, receipt: { clientRef: ref !== undefined && /^\d{1,18}$/.test(ref) ? ref : undefined, messageId: uuid, msisdn: to, status, error } };
}
