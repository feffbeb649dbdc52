/** What the dispatcher hands an SMS provider. */
export interface SmsMessage {
  /** Outbox row id; sent as Vonage `client-ref` so receipts find their row. */
  id: string;
  /** Recipient, international digits without '+', as Vonage writes numbers. */
  to: string;
  from: string;
  text: string;
  /** Which attempt this is (1 = first); an undocumented provider status is retried only a few times. */
  attempt?: number;
}

/**
 * ok: the provider has it. !ok: retry (later, after retryAfterMs if given) or a permanent failure.
 * uncertain: the request may have reached the provider (timeout, connection lost mid-request):
 * the dispatcher waits for a delivery receipt before trying again, so a text is not sent twice.
 */
export type SendOutcome =
  | { ok: true; providerId: string | undefined; note?: string }
  | { ok: false; retry: boolean; error: string; retryAfterMs?: number; uncertain?: boolean };

/** Implemented by the Vonage client, the demo phone simulator and the log-only sender. */
export interface SmsSender {
  readonly name: string;
  send(msg: SmsMessage): Promise<SendOutcome>;
}
