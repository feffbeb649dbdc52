import type { Channel, OutboxRow } from '../db/schema.js';
import type { SendOutcome } from '../channels/sms/sender.js';

export type { SendOutcome };

/**
 * A channel's delivery mechanism, driven by the dispatcher: one call per outbox row, after commit,
 * never inside a transaction. ok → sent; retry → back off and try again; !retry → failed for good.
 */
export interface ChannelSender {
  readonly channel: Channel;
  send(row: OutboxRow): Promise<SendOutcome>;
}
