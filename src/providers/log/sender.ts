// Used when there are no Vonage credentials and no simulator: texts are logged (numbers masked,
// length only) and marked sent, so the outbox drains and the rest of the service behaves as live.
import { countSegments } from '../../text/gsm7.js';
import type { SmsMessage, SmsSender } from '../../outbox/channel.js';

// Masked as maskPhone (src/directory/phone.ts) does: providers import no member code.
export interface LogLine {
  (facts: Record<string, unknown>, msg: string): void;
}

export function createLogSender(log: LogLine): SmsSender {
  return {
    name: 'log',
    send(msg: SmsMessage) {
      const { encoding, segments } = countSegments(msg.text);
      log({ outboxId: msg.id, to: `***${msg.to.slice(-3)}`, chars: msg.text.length, encoding, segments }, 'sms not sent (no Vonage credentials): logged instead');
      return Promise.resolve({ ok: true as const, providerId: `LOG-${msg.id}` });
    },
  };
}
