// Sending through Twilio's Programmable Messaging with the official `twilio` SDK. Never throws:
// every answer, error and timeout becomes an outcome failover and the dispatcher act on (errors.ts).
import { createRequire } from 'node:module';
import type Twilio from 'twilio';
import type { SmsMessage } from '../../outbox/channel.js';
import { transportOutcome, type ProviderOutcome } from '../outcome.js';
import { outcomeOfFailure } from './errors.js';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** Our Twilio number, E.164 digits without '+'. */
  number: string;
  /** Where the REST API is (tests: a stand-in); absent: https://api.twilio.com. */
  apiBase: string | undefined;
  /** The base URL Twilio calls back (status callbacks and inbound are signed over it). */
  publicUrl: string;
}

export const TWILIO_STATUS_PATH = '/webhooks/twilio/status';
export const TWILIO_INBOUND_PATH = '/webhooks/twilio/inbound';
const TWILIO_API = 'https://api.twilio.com';

// The SDK is loaded when Twilio is first configured or called, not at start: importing it took
// ~190 ms of the ~950 ms the service's modules take to load here, and the second start of the
// embedded default has a 2 s budget (bench/startup.bench.ts). It is CommonJS, so require is synchronous.
let sdk: typeof Twilio | undefined;
export const twilioSdk = (): typeof Twilio => (sdk ??= createRequire(import.meta.url)('twilio') as typeof Twilio);

/** The SDK's own HTTP client, pointed at another base URL (the SDK has no option for it). */
function baseUrlClient(base: string, timeout: number): InstanceType<typeof Twilio.RequestClient> {
  const client = new (twilioSdk().RequestClient)({ timeout, keepAlive: true });
  const request = client.request.bind(client);
  client.request = ((opts: Parameters<typeof request>[0]) =>
    request({ ...opts, uri: opts.uri.startsWith(TWILIO_API) ? base + opts.uri.slice(TWILIO_API.length) : opts.uri })) as typeof client.request;
  return client;
}

/** The status callback for one text: our outbox id rides in the (signed) URL, as client-ref does at Vonage. */
export const statusCallbackUrl = (publicUrl: string, outboxId: string) => `${publicUrl}${TWILIO_STATUS_PATH}?ref=${encodeURIComponent(outboxId)}`;

export interface TwilioSender {
  readonly name: 'twilio';
  readonly number: string;
  send(msg: SmsMessage): Promise<ProviderOutcome>;
}

export function createTwilioSender(s: TwilioSettings, opts: { timeoutMs?: number } = {}): TwilioSender {
  const timeout = opts.timeoutMs ?? 10_000;
  const httpClient = baseUrlClient(s.apiBase ?? TWILIO_API, timeout);
  const client = twilioSdk()(s.accountSid, s.authToken, { httpClient, autoRetry: false });
  return {
    name: 'twilio',
    number: s.number,
    async send(msg: SmsMessage): Promise<ProviderOutcome> {
      try {
        const m = await client.messages.create({
          to: '+' + msg.to.replace(/^\+/, ''),
          from: '+' + (msg.from || s.number).replace(/^\+/, ''),
          body: msg.text,
          statusCallback: statusCallbackUrl(s.publicUrl, msg.id),
        });
        return { ok: true, providerId: m.sid };
      } catch (err) {
        return outcomeOfError(err);
      }
    },
  };
}

/** What an SDK exception means for the row. Exported for tests. */
export function outcomeOfError(err: unknown): ProviderOutcome {
  if (err instanceof twilioSdk().RestException) {
    return outcomeOfFailure({ status: err.status, code: err.code, message: err.message, retryAfterMs: undefined });
  }
  // axios (inside the SDK): ECONNABORTED/ETIMEDOUT on its timeout, ECONNREFUSED/ECONNRESET and friends.
  const e = err as { code?: string; message?: string; name?: string } | undefined;
  const code = e?.code ?? e?.name ?? 'error';
  const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(e?.message ?? '');
  return transportOutcome('twilio', code, e?.message ?? '', timedOut);
}
