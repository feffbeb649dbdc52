// SMS as an outbox channel: an outbox row becomes an SmsMessage (client-ref = outbox id) for
// whichever SmsSender is configured. The choice of sender is made here, in one place.
import type { Config } from '../../config.js';
import type { OutboxRow } from '../../db/schema.js';
import type { ChannelSender } from '../../outbox/channel.js';
import { toVonage } from '../../directory/phone.js';
import type { SmsSender } from './sender.js';
import { createVonageSender } from './vonage.js';
import { createLogSender, type LogLine } from './log-sender.js';

export function smsChannel(sender: SmsSender, from: string): ChannelSender & { readonly sms: SmsSender } {
  return {
    channel: 'sms',
    sms: sender,
    send: (row: OutboxRow) => sender.send({ id: row.id, to: toVonage(row.recipient), from, text: row.body, attempt: row.attempts }),
  };
}

/** The demo's phone simulator when there is one, else Vonage when configured, else the log. */
export function pickSmsSender(deps: { config: Pick<Config, 'vonage'>; simulator?: SmsSender | undefined }, log: LogLine): SmsSender {
  if (deps.simulator) return deps.simulator;
  if (deps.config.vonage) return createVonageSender(deps.config.vonage);
  return createLogSender(log);
}
