// Used when there are no Vonage credentials and no simulator: texts are logged (numbers masked,
// length only) and marked sent, so the outbox drains and the rest of the service behaves as live.
import { maskPhone } from '../../directory/phone.js';
import { countSegments } from './gsm7.js';
import type { SmsMessage, SmsSender } from './sender.js';

export interface LogLine {
  (facts: Record<string, unknown>, msg: string): void;
}

export function createLogSender(log: LogLine): SmsSender {
  return {
    name: 'log',
    async send(msg: SmsMessage) {
      const { encoding, segments } = countSegments(msg.text);
      log({ outboxId: msg.id, to: maskPhone(msg.to), chars: msg.text.length, encoding, segments }, 'sms not sent (no Vonage credentials): logged instead');
      return { ok: true, providerId: `LOG-${msg.id}` };
    },
  };
}
