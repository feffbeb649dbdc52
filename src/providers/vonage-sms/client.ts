// Sending through Vonage's SMS API with the official SDK's SMS client (@vonage/sms, the same class
// @vonage/server-sdk's `vonage.sms` is). Never throws: every answer, error and timeout becomes a
// SendOutcome the dispatcher can act on (src/providers/vonage-sms/status-map.ts).
// Not the whole @vonage/server-sdk: it loads every Vonage API (voice, video, verify...), ~250 ms of
// the service's start here (node import timing, after the modules the service loads anyway).
import { Auth } from '@vonage/auth';
import { SMSFailure, TypeEnum } from '@vonage/sms';
import { KeepAliveSMS } from './transport.js';
import type { VonageConfig } from '../../config.js';
import { countSegments, normaliseGsm7 } from '../../text/gsm7.js';
import type { SendOutcome, SmsMessage, SmsSender } from '../../outbox/channel.js';
import { sendVerdict, throttleWaitMs } from './status-map.js';

export interface VonageSenderOptions {
  /** Abort a request after this long; counted as uncertain (Vonage may have taken it). */
  timeoutMs?: number;
  /** Receipt URL for each message; absent: the account's default (set in the Vonage dashboard). */
  callbackUrl?: string;
}

/** One message per request, as the SMS API wants; the outbox id goes as client-ref (max 40 chars). */
export function createVonageSender(vonage: VonageConfig, opts: VonageSenderOptions = {}): SmsSender {
  // The SDK's SMS client over our keep-alive transport (transport.ts: ~400 us of CPU less per text).
  const sms = new KeepAliveSMS(
    new Auth({ apiKey: vonage.apiKey, apiSecret: vonage.apiSecret }),
    { ...(vonage.restHost ? { restHost: vonage.restHost } : {}), timeout: opts.timeoutMs ?? 10_000 },
  );
  return {
    name: 'vonage',
    async send(msg: SmsMessage): Promise<SendOutcome> {
      const text = normaliseGsm7(msg.text);
      const unicode = countSegments(text).encoding === 'ucs2';
      try {
        const res = await sms.send({
          to: msg.to.replace(/^\+/, ''),
          from: msg.from,
          text,
          // The SMS API does not detect UCS-2: without this a non-GSM text arrives as question marks.
          ...(unicode ? { type: TypeEnum.UNICODE } : {}),
          clientRef: msg.id.slice(0, 40),
          ...(opts.callbackUrl ? { callback: opts.callbackUrl, statusReportReq: true } : {}),
        });
        const first = res.messages?.[0];
        return { ok: true, providerId: first?.messageId };
      } catch (err) {
        return outcomeOfError(err, msg.attempt ?? 1);
      }
    },
  };
}

type Part = { status?: string; errorText?: string; messageId?: string };

/** What an SDK exception means for the row. Exported for tests. */
export function outcomeOfError(err: unknown, attempt: number): SendOutcome {
  if (err instanceof SMSFailure) {
    // The real API sends message-count as a string, so one failed message is a *Partial*Failure:
    // read each message's status rather than trusting the class.
    const parts = err.getMessages() as Part[];
    const accepted = parts.find((p) => p.status === '0');
    if (accepted) {
      // A multipart text some of whose parts went: sending again would repeat those parts.
      const failed = parts.filter((p) => p.status !== '0').map((p) => `${p.status} ${p.errorText ?? ''}`.trim());
      return { ok: true, providerId: accepted.messageId, note: `some parts refused: ${failed.join('; ')}` };
    }
    const p = parts[0];
    const v = sendVerdict(p?.status, p?.errorText, attempt);
    if (v.kind === 'ok') return { ok: true, providerId: p?.messageId };
    if (v.kind === 'permanent') return { ok: false, retry: false, error: v.reason };
    const wait = p?.status === '1' ? throttleWaitMs(p.errorText) : undefined;
    return { ok: false, retry: true, error: v.reason, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  }
  // The SDK's VetchError (non-2xx answer) carries the fetch Response; its package is not ours to import.
  const res = (err as { response?: { status?: unknown; headers?: { get(name: string): string | null } } } | undefined)?.response;
  if (res && typeof res.status === 'number') {
    const status = res.status;
    const after = retryAfterMs(res.headers?.get('retry-after') ?? null);
    const error = `vonage HTTP ${status}`;
    if (status === 429 || status >= 500 || status === 408) return { ok: false, retry: true, error, ...(after !== undefined ? { retryAfterMs: after } : {}) };
    // 401/403/404/400: configuration or request problems that a retry will not fix.
    return { ok: false, retry: false, error: `${error} (request refused)` };
  }
  const e = err as { name?: string; code?: string; message?: string } | undefined;
  if (e?.name === 'AbortError') return { ok: false, retry: true, uncertain: true, error: 'vonage request timed out (may have been sent; waiting for a receipt first)' };
  const code = e?.code ?? e?.name ?? 'error';
  // Refused or unresolvable before any byte went: certainly not sent. Anything else: maybe.
  const certain = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  return { ok: false, retry: true, ...(certain ? {} : { uncertain: true }), error: `vonage unreachable: ${code} ${e?.message ?? ''}`.trim() };
}

/** Retry-After as seconds or an HTTP date, in ms (capped at 10 minutes). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const t = header.trim();
  const ms = /^\d+$/.test(t) ? Number(t) * 1000 : Date.parse(t) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 600_000) : undefined;
}
