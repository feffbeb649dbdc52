// A member's phone, for tests that read like the conversation:
//
//   const phone = simulatedPhone(app, db, '+447700900001', { secret, method });
//   await phone.send('RAISE');
//   await phone.expect(/threshold/);   // the next text this number received matches
//   await phone.send('YES');
//
// send() posts a Vonage inbound webhook exactly as Vonage would (signed when a secret is given,
// a fresh messageId each time, GET/form/JSON). Replies are read from the outbox: every outbound
// text is written there in the transaction that decided it, so by the time send() returns the
// reply exists (no waiting, no sender needed).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Database } from '../../src/db/connect.js';
import type { SignatureMethod } from '../../src/config.js';
import { signVonageParams, type WebhookParams } from '../../src/providers/vonage-sms/signature.js';

export type WebhookFormat = 'get' | 'form' | 'json';

export interface PhoneOptions {
  /** Signature secret; omit for unsigned webhooks. */
  secret?: string;
  method?: SignatureMethod;
  /** How the webhook is delivered (Vonage dashboard setting). Default 'form'. */
  format?: WebhookFormat;
  /** Our number as Vonage writes it (digits). Default the config default, 447700900000. */
  to?: string;
  path?: string;
  /** A tap test: each expect() also records a passing assertion there. */
  t?: { pass(message: string): unknown };
}

export interface ReceivedText {
  id: string;
  body: string;
  kind: string;
  state: string;
}

/** Vonage-style message ids: 16 upper-case hex digits. */
export const newMessageId = (): string => randomBytes(8).toString('hex').toUpperCase();

/** The `message-timestamp` Vonage sends: UTC `YYYY-MM-DD HH:MM:SS`. */
const vonageTimestamp = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/** Builds one inbound webhook's params (signed if a secret is given). */
export function inboundParams(from: string, text: string, opts: PhoneOptions & { extra?: WebhookParams } = {}): WebhookParams {
  const now = new Date();
  const params: WebhookParams = {
    msisdn: from.replace(/^\+/, ''),
    to: opts.to ?? '447700900000',
    messageId: newMessageId(),
    text,
    type: /^[\x20-\x7e\n\r]*$/.test(text) ? 'text' : 'unicode',
    keyword: (text.trim().split(/\s+/)[0] ?? '').toUpperCase(),
    'message-timestamp': vonageTimestamp(now),
    timestamp: String(Math.floor(now.getTime() / 1000)),
    nonce: randomBytes(16).toString('hex'),
    ...opts.extra,
  };
  return opts.secret ? signVonageParams(params, opts.secret, opts.method ?? 'md5hash') : params;
}

/** Delivers params to the inbound webhook in the given format. */
export function deliver(app: FastifyInstance, params: WebhookParams, format: WebhookFormat = 'form', path = '/webhooks/vonage/inbound'): Promise<LightMyRequestResponse> {
  if (format === 'get') return app.inject({ method: 'GET', url: path, query: params });
  if (format === 'json') return app.inject({ method: 'POST', url: path, payload: params });
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(params).toString(),
  });
}

export function simulatedPhone(app: FastifyInstance, db: Database, number: string, opts: PhoneOptions = {}) {
  const e164 = number.startsWith('+') ? number : '+' + number;
  let seenUpTo = 0n; // outbox ids already consumed by expect()

  async function received(): Promise<ReceivedText[]> {
    return db
      .selectFrom('outbox')
      .select(['id', 'body', 'kind', 'state'])
      .where('channel', '=', 'sms')
      .where('recipient', '=', e164)
      .orderBy('id')
      .execute();
  }

  const phone = {
    number: e164,
    /** Texts the service: one webhook (extra fields merged in), a fresh messageId. Throws unless it answered 200. */
    async send(text: string, extra: WebhookParams = {}, format: WebhookFormat = opts.format ?? 'form'): Promise<LightMyRequestResponse> {
      const res = await phone.post(inboundParams(e164, text, { ...opts, extra }), format);
      if (res.statusCode !== 200) throw new Error(`webhook for "${text.slice(0, 40)}" answered ${res.statusCode}: ${res.body}`);
      return res;
    },
    /** Sends a long text as a multipart message, parts delivered in `order` (1-based part numbers). */
    async sendParts(parts: string[], order: number[] = parts.map((_, i) => i + 1), ref = randomBytes(2).toString('hex').toUpperCase()): Promise<LightMyRequestResponse[]> {
      const out: LightMyRequestResponse[] = [];
      for (const n of order) {
        const extra = { concat: 'true', 'concat-ref': ref, 'concat-total': String(parts.length), 'concat-part': String(n) };
        out.push(await phone.post(inboundParams(e164, parts[n - 1]!, { ...opts, extra })));
      }
      return out;
    },
    /** Posts exactly these params (already built/signed): for duplicates and odd requests. */
    post(params: WebhookParams, format: WebhookFormat = opts.format ?? 'form'): Promise<LightMyRequestResponse> {
      return deliver(app, params, format, opts.path);
    },
    /** Every text sent to this number, oldest first (replies and broadcasts). */
    received,
    /** The newest text sent to this number, or undefined. */
    async lastReply(): Promise<string | undefined> {
      const all = await received();
      return all[all.length - 1]?.body;
    },
    /** The next text not yet consumed must match; returns it. Throws (listing what came) otherwise. */
    async expect(pattern: RegExp): Promise<string> {
      const fresh = (await received()).filter((r) => BigInt(r.id) > seenUpTo);
      const next = fresh[0];
      if (!next || !pattern.test(next.body)) {
        const got = fresh.length ? fresh.map((r) => `  "${r.body}"`).join('\n') : '  (nothing)';
        throw new Error(`${e164} expected a text matching ${pattern}, got:\n${got}`);
      }
      seenUpTo = BigInt(next.id);
      opts.t?.pass(`${e164} received ${pattern}`);
      return next.body;
    },
    /** Nothing new arrived since the last expect(). */
    async expectNothing(): Promise<void> {
      const fresh = (await received()).filter((r) => BigInt(r.id) > seenUpTo);
      if (fresh.length) throw new Error(`${e164} expected no new text, got: ${fresh.map((r) => `"${r.body}"`).join(', ')}`);
      opts.t?.pass(`${e164} received nothing new`);
    },
    /** Consumes everything received so far (e.g. after setup). */
    async skipAll(): Promise<void> {
      const all = await received();
      if (all.length) seenUpTo = BigInt(all[all.length - 1]!.id);
    },
  };
  return phone;
}

export type SimulatedPhone = ReturnType<typeof simulatedPhone>;
