// Sending through Vonage's Messages API with the official @vonage/messages SDK, authenticated by
// an application id and its private key (a JWT per request, made by the SDK). Never throws.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as VonageMessages from '@vonage/messages';
import type { SmsMessage } from '../../outbox/channel.js';
import { retryAfterMs, transportOutcome, type ProviderOutcome } from '../outcome.js';
import { outcomeOfFailure } from './errors.js';

export interface VonageMessagesSettings {
  applicationId: string;
  /** The PEM text of the application's private key. */
  privateKey: string;
  /** Where the API is (tests: a stand-in); absent: https://api.nexmo.com. */
  host: string | undefined;
  /** Our Vonage number, E.164 digits without '+'. */
  number: string;
}

/** VONAGE_PRIVATE_KEY is the PEM itself or a path to it. Throws with a plain reason. */
export function readPrivateKey(value: string): string {
  const pem = value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : readFileSync(value, 'utf8');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new Error('is not a PEM private key (nor a path to one)');
  return pem;
}

export interface VonageMessagesSender {
  readonly name: 'vonage';
  readonly number: string;
  send(msg: SmsMessage): Promise<ProviderOutcome>;
}

// Loaded when the Messages API is configured, not at every start: @vonage/messages is 216 of the
// ~1,700 files the service's modules load here (strace), and the second start has a 2 s budget.
const messagesSdk = (): typeof VonageMessages => createRequire(import.meta.url)('@vonage/messages') as typeof VonageMessages;

export function createVonageMessagesSender(s: VonageMessagesSettings, opts: { timeoutMs?: number } = {}): VonageMessagesSender {
  const client = new (messagesSdk().Messages)(
    { applicationId: s.applicationId, privateKey: s.privateKey },
    { ...(s.host ? { apiHost: s.host } : {}), timeout: opts.timeoutMs ?? 10_000 },
  );
  return {
    name: 'vonage',
    number: s.number,
    async send(msg: SmsMessage): Promise<ProviderOutcome> {
      try {
        const res = await client.send({
          channel: 'sms',
          messageType: 'text',
          to: msg.to.replace(/^\+/, ''),
          from: (msg.from || s.number).replace(/^\+/, ''),
          text: msg.text,
          // Echoed on every status webhook, so a receipt finds its row even when our answer was lost.
          clientRef: msg.id,
          // The Messages API picks GSM-7 or UCS-2 from the text itself.
          sms: { encodingType: 'auto' },
        });
        return { ok: true, providerId: res.messageUUID };
      } catch (err) {
        return outcomeOfError(err);
      }
    },
  };
}

type FetchResponse = { status?: unknown; headers?: { get(name: string): string | null }; json?: () => Promise<unknown> };

/** What an SDK exception means for the row. Exported for tests. */
export async function outcomeOfError(err: unknown): Promise<ProviderOutcome> {
  // The SDK's VetchError (non-2xx answer) carries the fetch Response, body unread.
  const res = (err as { response?: FetchResponse } | undefined)?.response;
  if (res && typeof res.status === 'number') {
    let body: { title?: unknown; detail?: unknown } = {};
    try {
      body = (await res.json?.()) ?? {};
    } catch {
      // Not JSON: the status says enough.
    }
    return outcomeOfFailure({
      status: res.status,
      title: typeof body.title === 'string' ? body.title : undefined,
      detail: typeof body.detail === 'string' ? body.detail : undefined,
      retryAfterMs: retryAfterMs(res.headers?.get('retry-after')),
    });
  }
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } } | undefined;
  const code = e?.cause?.code ?? e?.code ?? e?.name ?? 'error';
  return transportOutcome('vonage messages', code, e?.message ?? '', e?.name === 'AbortError' || e?.name === 'TimeoutError');
}
