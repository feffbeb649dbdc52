// SMS as an outbox channel: an outbox row becomes an SmsMessage (client-ref = outbox id) for
// whichever SMS provider is configured. The choice of provider is made here, in one place (today a
// pick at start-up; real failover between providers grows here).
import type { Config } from '../config.js';
import type { OutboxRow } from '../db/schema.js';
import type { Sender, SmsSender } from '../outbox/channel.js';
import { createVonageSender } from './vonage-sms/client.js';
import { createLogSender, type LogLine } from './log/sender.js';

export function smsChannel(sender: SmsSender, from: string): Sender & { readonly sms: SmsSender } {
  return {
    channel: 'sms',
    sms: sender,
    // Providers take international digits without '+' (toVonage in src/directory/phone.ts).
    send: (row: OutboxRow) => sender.send({ id: row.id, to: row.recipient.replace(/^\+/, ''), from, text: row.body, attempt: row.attempts }),
  };
}

/** The demo's phone simulator when there is one, else Vonage when configured, else the log. */
export function pickSmsSender(deps: { config: Pick<Config, 'vonage'>; simulator?: SmsSender | undefined }, log: LogLine): SmsSender {
  if (deps.simulator) return deps.simulator;
  if (deps.config.vonage) return createVonageSender(deps.config.vonage);
  return createLogSender(log);
}
