// What a provider's answer means, in the terms failover needs on top of the outbox's SendOutcome.
// Kept apart from any one provider so the Twilio and Vonage folders and failover.ts share it.
import type { SendOutcome } from '../outbox/channel.js';

/**
 * A SendOutcome with two facts failover acts on:
 * - `providerFault`: the provider (or our account with it) failed, not this message: transport
 *   errors, 5xx, authentication, timeouts. Counts towards taking the provider out, and a definite
 *   one (not `uncertain`) may go at once to the next provider.
 * - `optedOut`: the recipient unsubscribed at the provider (Twilio 21610): failed for good, never
 *   tried elsewhere, because they asked not to be texted.
 */
export type ProviderOutcome = SendOutcome & { providerFault?: boolean; optedOut?: boolean; throttled?: boolean };

/** Retry-After as seconds or an HTTP date, in ms (capped at 10 minutes). */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const t = header.trim();
  const ms = /^\d+$/.test(t) ? Number(t) * 1000 : Date.parse(t) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 600_000) : undefined;
}

/** A transport error (no HTTP answer) → outcome. Refused or unresolvable: certainly not sent. */
export function transportOutcome(provider: string, code: string, message: string, timedOut: boolean): ProviderOutcome {
  if (timedOut) return { ok: false, retry: true, uncertain: true, providerFault: true, error: `${provider} request timed out (may have been sent; waiting for a receipt first)` };
  const certain = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  return { ok: false, retry: true, providerFault: true, ...(certain ? {} : { uncertain: true }), error: `${provider} unreachable: ${code} ${message}`.trim() };
}
