// Both stand-ins behind real clients and failover, as workers.ts wires them: for failover tests and the bench.
import type { Database } from '../../src/db/connect.js';
import type { SmsMessage } from '../../src/outbox/channel.js';
import { createFailover, type FailoverOptions, type SmsProvider } from '../../src/providers/failover.js';
import { createTwilioSender } from '../../src/providers/twilio/client.js';
import { createVonageMessagesSender } from '../../src/providers/vonage-messages/client.js';
import type { TwilioStandin } from './twilio-standin.js';
import type { MessagesStandin } from './vonage-messages-standin.js';

export const TWILIO_NUMBER = '447700900998';
export const PUBLIC_URL = 'https://batsignal.example.org';

export function vonageProvider(vm: MessagesStandin, perSecond: number, timeoutMs = 15_000): SmsProvider {
  const s = createVonageMessagesSender({ applicationId: vm.applicationId, privateKey: vm.privateKey, host: vm.url, number: vm.number }, { timeoutMs });
  return { name: 'vonage', number: vm.number, perSecond, send: (m: SmsMessage) => s.send(m) };
}

export function twilioProvider(tw: TwilioStandin, perSecond: number, publicUrl = PUBLIC_URL, timeoutMs = 15_000): SmsProvider {
  const s = createTwilioSender({ accountSid: tw.accountSid, authToken: tw.authToken, number: tw.number, apiBase: tw.url, publicUrl }, { timeoutMs });
  return { name: 'twilio', number: tw.number, perSecond, send: (m: SmsMessage) => s.send(m) };
}

export async function failoverOf(db: Database, providers: SmsProvider[], o: FailoverOptions = {}) {
  return createFailover(db, providers, { syncMs: 50, probeAfterMs: 200, ...o });
}
