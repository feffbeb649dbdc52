// What the Vonage Messages API's answers mean for an outbox row. Errors come as HTTP statuses with
// an RFC 7807 body ({ type, title, detail, instance }); statuses from its status webhook.
import type { ProviderOutcome } from '../outcome.js';

export interface MessagesFailure {
  status: number;
  title: string | undefined;
  detail: string | undefined;
  retryAfterMs: number | undefined;
}

/**
 * 429: throttled (our rate, not the provider's fault). 401/403: credentials or application refused;
 * 402: out of credit; 404: wrong host or application; 5xx: Vonage failing. Those are the provider's
 * (or our account's) fault: failover may take another provider. 400/422: this request or number.
 */
export function outcomeOfFailure(f: MessagesFailure): ProviderOutcome {
  const what = [f.title, f.detail].filter(Boolean).join(': ').slice(0, 200);
  const error = `vonage messages HTTP ${f.status}${what ? ` ${what}` : ''}`;
  const after = f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {};
  if (f.status === 429) return { ok: false, retry: true, throttled: true, error, ...after };
  if (f.status >= 500 || f.status === 401 || f.status === 402 || f.status === 403 || f.status === 404 || f.status === 408) {
    return { ok: false, retry: true, providerFault: true, error, ...after };
  }
  return { ok: false, retry: false, error };
}

/** Message statuses of the status webhook (SMS channel), mapped onto the receipt statuses the outbox keeps. */
export const MESSAGES_STATUS: Readonly<Record<string, 'accepted' | 'delivered' | 'failed' | 'rejected'>> = {
  submitted: 'accepted',
  delivered: 'delivered',
  read: 'delivered',
  rejected: 'rejected',
  undeliverable: 'failed',
};
