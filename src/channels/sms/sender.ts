/** What the dispatcher hands an SMS provider. */
export interface SmsMessage {
  /** Outbox row id; sent as Vonage `client-ref` so receipts find their row. */
  id: string;
  /** Recipient, international digits without '+', as Vonage writes numbers. */
  to: string;
  from: string;
  text: string;
}

export type SendOutcome =
  | { ok: true; providerId: string | undefined }
  | { ok: false; retry: boolean; error: string; retryAfterMs?: number };

/** Implemented by the Vonage client, the demo phone simulator and the log-only sender. */
export interface SmsSender {
  readonly name: string;
  send(msg: SmsMessage): Promise<SendOutcome>;
}
