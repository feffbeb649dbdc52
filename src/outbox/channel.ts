// What the dispatcher drives. Providers (src/providers/) and channels (src/channels/) implement
// these types; the outbox imports none of them: src/workers.ts hands each dispatcher its Sender.
import type { Channel, OutboxRow } from '../db/schema.js';

/**
 * ok: the provider has it. !ok: retry (later, after retryAfterMs if given) or a permanent failure.
 * uncertain: the request may have reached the provider (timeout, connection lost mid-request):
 * the dispatcher waits for a delivery receipt before trying again, so a text is not sent twice.
 * waiting: nothing was attempted, the row waits on another (a forum reply on its alert's topic):
 * it is tried again after retryAfterMs and the attempt is given back, so waiting never uses up
 * the row's attempts.
 */
export type SendOutcome =
  | { ok: true; providerId: string | undefined; note?: string }
  | { ok: false; retry: boolean; error: string; retryAfterMs?: number; uncertain?: boolean; waiting?: boolean };

/**
 * A channel's delivery mechanism, driven by the dispatcher: one call per outbox row, after commit,
 * never inside a transaction. ok → sent; retry → back off and try again; !retry → failed for good.
 */
export interface Sender {
  readonly channel: Channel;
  /** `row` is a claimed row: `rateKey` names the rate schedule (rate_limits row) that paced it. */
  send(row: OutboxRow & { rateKey?: string }): Promise<SendOutcome>;
  /**
   * The rate to claim at now, and the rate_limits row that holds it across instances. Absent: the
   * channel's own row at the dispatcher's ratePerSecond. SMS failover answers with the preferred
   * provider's schedule ('sms:twilio' at its rate), so the claim follows the provider in use.
   */
  pace?(): { key: string; perSecond: number };
}

/** What the SMS channel hands an SMS provider (src/providers/failover.ts makes one per row). */
export interface SmsMessage {
  /** Outbox row id; sent as the provider's client reference so receipts find their row. */
  id: string;
  /** Recipient, international digits without '+', as Vonage writes numbers. */
  to: string;
  from: string;
  text: string;
  /** Which attempt this is (1 = first); an undocumented provider status is retried only a few times. */
  attempt?: number;
}

/** Implemented by each SMS provider: Vonage, the demo phone simulator, the log-only sender. */
export interface SmsSender {
  readonly name: string;
  send(msg: SmsMessage): Promise<SendOutcome>;
}
