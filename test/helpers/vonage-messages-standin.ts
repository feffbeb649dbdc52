// A local stand-in for Vonage's Messages API, for tests and benchmarks that drive the REAL
// @vonage/messages SDK (point it here with VONAGE_MESSAGES_HOST = standin.url).
//
//   const vm = await startVonageMessagesStandin({ signatureSecret, statusUrl: `${base}/webhooks/vonage/messages/status` });
//   vm.url, vm.applicationId, vm.privateKey, vm.number   // VONAGE_MESSAGES_HOST, VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY, BATSIGNAL_NUMBER
//   vm.faults.down = true                                // sms-standin-base.ts
//   await vm.inbound(`${base}/webhooks/vonage/messages/inbound`, '447700900001', 'ACK')
//
// POST /v1/messages with `Authorization: Bearer <JWT>`: the JWT must be RS256 over the
// application's private key with its application_id (checked with the public key, as Vonage
// does), else 401. Success: 202 { message_uuid }. Errors in RFC 7807 form ({ type, title, detail,
// instance }): 401, 422 (invalid to/from/text), 429 throttled, 500, 503 when down. Each accepted
// text gets status webhooks ("submitted", then "delivered" or what receipts.status says) POSTed as
// JSON with a fresh HS256 JWT per attempt: iat, jti, iss "Vonage", payload_hash = SHA-256 of the body.
import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomUUID, verify, type KeyObject } from 'node:crypto';
import {
  answerJson, dice, duplicates, NO_FAULTS, rollFault, startBaseServer, waitFor,
  type SendRequest, type StandinFaults,
} from './sms-standin-base.js';

export interface MessagesReceiptOptions {
  delayMs?: number;
  status?: (req: SendRequest) => { status: string; code?: number; detail?: string };
  retries?: number;
  retryMs?: number;
}

export interface MessagesStandinOptions {
  port?: number;
  applicationId?: string;
  /** PEM; absent: a fresh RSA key pair. */
  privateKey?: string;
  number?: string;
  apiKey?: string;
  /** Signs webhooks (VONAGE_SIGNATURE_SECRET). */
  signatureSecret?: string;
  /** Where status webhooks go (the application's status URL); absent: none are posted. */
  statusUrl?: string;
  receipts?: MessagesReceiptOptions;
  faults?: Partial<StandinFaults>;
  seed?: number;
}

export interface MessagesStandin {
  url: string;
  applicationId: string;
  privateKey: string;
  number: string;
  signatureSecret: string;
  faults: StandinFaults;
  statusUrl: string | undefined;
  receipts: MessagesReceiptOptions;
  requests: SendRequest[];
  accepted(): SendRequest[];
  acceptedTo(to: string): number;
  duplicates(): number;
  callbacksSent: { uuid: string; status: string; httpStatus: number }[];
  inbound(url: string, from: string, text: string, opts?: { uuid?: string }): Promise<number>;
  setUnreachable(on: boolean): Promise<void>;
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export interface SignOptions {
  iat?: number;
  jti?: string;
  /** Claim this hash instead of the body's. */
  payloadHash?: string;
  alg?: string;
  apiKey?: string;
  applicationId?: string;
}

/** An HS256 JWT as Vonage puts on a signed Messages webhook for `body`. */
export function signMessagesWebhook(secret: string, body: string, o: SignOptions = {}): string {
  const header = b64(JSON.stringify({ alg: o.alg ?? 'HS256', typ: 'JWT' }));
  const claims = b64(JSON.stringify({
    iat: o.iat ?? Math.floor(Date.now() / 1000), jti: o.jti ?? randomUUID(), iss: 'Vonage',
    payload_hash: o.payloadHash ?? createHash('sha256').update(body).digest('hex'),
    api_key: o.apiKey ?? 'standin-key', application_id: o.applicationId ?? 'standin-app',
  }));
  const sig = createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${sig}`;
}

export function messagesInboundBody(from: string, to: string, text: string, uuid: string = randomUUID()): Record<string, unknown> {
  return {
    channel: 'sms', message_uuid: uuid, to, from, timestamp: new Date().toISOString(), text, message_type: 'text',
    sms: { num_messages: '1', keyword: text.trim().split(/\s+/)[0]?.toUpperCase() ?? '' }, context_status: 'none',
    usage: { price: '0.0057', currency: 'EUR' }, origin: { network_code: '23410' },
  };
}

/** Headers and body of a signed Messages webhook. */
export function signedMessagesPost(secret: string, payload: unknown, o: SignOptions = {}): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(payload);
  return { headers: { 'content-type': 'application/json', authorization: `Bearer ${signMessagesWebhook(secret, body, o)}` }, body };
}

function checkBearer(auth: string | undefined, publicKey: KeyObject, applicationId: string): boolean {
  const m = auth?.match(/^Bearer (.+)$/);
  if (!m) return false;
  const [h, c, s] = m[1]!.split('.');
  if (!h || !c || !s) return false;
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    if (header.alg !== 'RS256' || claims.application_id !== applicationId) return false;
    return verify('RSA-SHA256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url'));
  } catch {
    return false;
  }
}

export function newRsaKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export async function startVonageMessagesStandin(opts: MessagesStandinOptions = {}): Promise<MessagesStandin> {
  const applicationId = opts.applicationId ?? randomUUID();
  const privateKey = opts.privateKey ?? newRsaKey();
  const publicKey = createPublicKey(privateKey);
  const number = opts.number ?? '447700900000';
  const signatureSecret = opts.signatureSecret ?? 'standin-signature-secret';
  const apiKey = opts.apiKey ?? 'standin-key';
  const faults: StandinFaults = { ...NO_FAULTS, ...opts.faults, permanent: { ...opts.faults?.permanent } };
  const roll = dice(opts.seed ?? 11);
  const window = { start: 0, count: 0 };
  const requests: SendRequest[] = [];
  const callbacksSent: MessagesStandin['callbacksSent'] = [];
  let acceptedCount = 0;
  const standin = {} as MessagesStandin;

  const problem = (res: Parameters<typeof answerJson>[2], status: number, title: string, detail: string, extra: Record<string, unknown> = {}) =>
    answerJson(base, faults.latencyMs, res, status, { type: `https://developer.vonage.com/api-errors#${title.toLowerCase().replace(/\W+/g, '-')}`, title, detail, instance: randomUUID(), ...extra });

  const post = (url: string, payload: unknown) => {
    const o = standin.receipts;
    // A fresh token for every attempt, as Vonage signs each delivery of a webhook.
    return base.post(url, {}, () => signedMessagesPost(signatureSecret, payload, { apiKey, applicationId }), o.retries ?? 100, o.retryMs ?? 200);
  };

  function statuses(r: SendRequest) {
    const url = standin.statusUrl;
    if (!url) return;
    const o = standin.receipts;
    const final = o.status?.(r) ?? { status: 'delivered' };
    [{ status: 'submitted' } as { status: string; code?: number; detail?: string }, final].forEach((step, i) => {
      base.later((o.delayMs ?? 0) * (i + 1), () => {
        if (base.closed()) return;
        const payload = {
          message_uuid: r.id, to: r.to, from: r.from, timestamp: new Date().toISOString(), status: step.status, channel: 'sms',
          ...(r.clientRef !== undefined ? { client_ref: r.clientRef } : {}), usage: { currency: 'EUR', price: '0.0333' }, sms: { count_total: '1' },
          ...(step.code !== undefined ? { error: { type: `https://developer.vonage.com/api-errors/messages#${step.code}`, title: step.code, detail: step.detail ?? 'error' } } : {}),
        };
        void post(url, payload).then((httpStatus) => callbacksSent.push({ uuid: r.id!, status: step.status, httpStatus }));
      });
    });
  }

  const base = await startBaseServer(opts.port, (req, res, raw) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/v1/messages') return problem(res, 404, 'Not Found', 'The requested resource does not exist');
    let p: Record<string, unknown> = {};
    try {
      p = JSON.parse(raw || '{}');
    } catch {
      return problem(res, 400, 'Bad Request', 'The request body is not JSON');
    }
    const s = (k: string) => (typeof p[k] === 'string' ? p[k] : '');
    const r: SendRequest = { to: s('to'), from: s('from'), text: s('text'), clientRef: s('client_ref') || undefined, outcome: 'accepted', id: undefined, at: Date.now() };
    requests.push(r);
    if (!checkBearer(req.headers.authorization, publicKey, applicationId)) return (r.outcome = 'unauthorized'), problem(res, 401, 'Unauthorized', 'You did not provide correct credentials.');
    if (p.channel !== 'sms' || p.message_type !== 'text' || !/^\d{6,15}$/.test(r.to) || !r.text || r.from !== number) {
      r.outcome = 'bad_request';
      return problem(res, 422, 'Invalid params', 'The value of one or more parameters is invalid.', { invalid_parameters: [{ name: !/^\d{6,15}$/.test(r.to) ? 'to' : r.from !== number ? 'from' : 'text', reason: 'Invalid' }] });
    }
    const perm = faults.permanent[r.to];
    if (perm) return (r.outcome = `error-${perm}`), problem(res, 422, 'Invalid params', `error ${perm}`);
    const fault = rollFault(faults, roll, acceptedCount, window);
    if (fault) r.outcome = fault;
    if (fault === 'hang') return void base.hanging.add(res);
    if (fault === 'down') return problem(res, 503, 'Service Unavailable', 'The service is temporarily unavailable');
    if (fault === 'http500') return problem(res, 500, 'Internal Error', 'An error occurred on the server');
    if (fault === 'throttled') return problem(res, 429, 'Rate Limit Hit', 'Please wait, then retry your request');
    r.id = randomUUID();
    acceptedCount++;
    statuses(r);
    if (fault === 'accepted-hang') return void base.hanging.add(res);
    answerJson(base, faults.latencyMs, res, 202, { message_uuid: r.id });
  });

  Object.assign(standin, {
    url: base.url, applicationId, privateKey, number, signatureSecret, faults, statusUrl: opts.statusUrl, receipts: opts.receipts ?? {},
    requests, callbacksSent,
    accepted: () => requests.filter((r) => r.outcome === 'accepted' || r.outcome === 'accepted-hang'),
    acceptedTo: (to: string) => standin.accepted().filter((r) => r.to === to.replace(/^\+/, '')).length,
    duplicates: () => duplicates(standin.accepted()),
    inbound(url: string, from: string, text: string, o: { uuid?: string } = {}) {
      const payload = messagesInboundBody(from, number, text, o.uuid);
      return base.post(url, {}, () => signedMessagesPost(signatureSecret, payload, { apiKey, applicationId }), 0);
    },
    setUnreachable: (on: boolean) => base.setUnreachable(on),
    waitFor: (pred: () => boolean, timeoutMs?: number) => waitFor(pred, 'vonage messages stand-in', timeoutMs),
    close: () => base.close(),
  } satisfies MessagesStandin);
  return standin;
}
