// A local stand-in for Twilio's REST API (Programmable Messaging), for tests and benchmarks that
// drive the REAL `twilio` SDK (point it here with TWILIO_API_BASE = standin.url).
//
//   const tw = await startTwilioStandin({ receipts: { delayMs: 0 } });
//   tw.url, tw.accountSid, tw.authToken, tw.number   // give them as TWILIO_API_BASE, _ACCOUNT_SID, _AUTH_TOKEN, _NUMBER
//   tw.faults.down = true; tw.faults.throttleFraction = 0.2   // change any time (sms-standin-base.ts)
//   tw.accepted(), tw.acceptedTo('447700900001'), tw.duplicates()
//   await tw.inbound(`${base}/webhooks/twilio/inbound`, '447700900001', 'ACK')  // a member texts our Twilio number
//
// Answers as the real API does: 201 with the Message resource (sid "SM" + 32 hex, status queued);
// errors as JSON { code, message, more_info, status } with the HTTP status: 401/20003 on bad Basic
// auth, 400/21211 invalid To, 400/21606 a From that is not ours, 400/21602 no Body, 429/20429
// throttled, 500/20500, 503/20503 when down. Each accepted text gets status callbacks ("sent",
// then "delivered" or what receipts.status says) POSTed form-encoded to its StatusCallback URL,
// signed with X-Twilio-Signature (HMAC-SHA1 over that URL + sorted params, the SDK's own function).
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import {
  answerJson, dice, duplicates, NO_FAULTS, rollFault, startBaseServer, waitFor,
  type SendRequest, type StandinFaults,
} from './sms-standin-base.js';

export interface TwilioReceiptOptions {
  delayMs?: number;
  /** Final status and error code per accepted request (default delivered). */
  status?: (req: SendRequest) => { status: string; errorCode?: string };
  /** Sign over this URL instead of the one posted to (a signature over the wrong URL). */
  signUrl?: (url: string) => string;
  retries?: number;
  retryMs?: number;
}

export interface TwilioStandinOptions {
  port?: number;
  accountSid?: string;
  authToken?: string;
  /** Our Twilio number, digits. */
  number?: string;
  faults?: Partial<StandinFaults>;
  /** Status callbacks; absent: none are posted. */
  receipts?: TwilioReceiptOptions;
  seed?: number;
}

export interface TwilioStandin {
  url: string;
  accountSid: string;
  authToken: string;
  number: string;
  faults: StandinFaults;
  receipts: TwilioReceiptOptions | undefined;
  requests: SendRequest[];
  accepted(): SendRequest[];
  acceptedTo(to: string): number;
  duplicates(): number;
  callbacksSent: { sid: string; status: string; httpStatus: number }[];
  /** Posts a signed inbound text from `from` (digits) to our number at `url`; resolves with the HTTP status. */
  inbound(url: string, from: string, body: string, opts?: { sid?: string; signUrl?: string; retries?: number }): Promise<number>;
  setUnreachable(on: boolean): Promise<void>;
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const newSid = (prefix = 'SM') => prefix + randomBytes(16).toString('hex');

/** The form fields Twilio posts for an inbound SMS. */
export function twilioInboundParams(accountSid: string, from: string, to: string, body: string, sid = newSid()): Record<string, string> {
  return {
    ToCountry: 'GB', ToState: '', SmsMessageSid: sid, NumMedia: '0', ToCity: '', FromZip: '', SmsSid: sid, FromState: '',
    SmsStatus: 'received', FromCity: '', Body: body, FromCountry: 'GB', To: '+' + to, ToZip: '', NumSegments: '1',
    MessageSid: sid, AccountSid: accountSid, From: '+' + from, ApiVersion: '2010-04-01',
  };
}

/** X-Twilio-Signature for a POST of `params` to `url`, computed by the SDK. */
export const signTwilio = (authToken: string, url: string, params: Record<string, string>) => twilio.getExpectedTwilioSignature(authToken, url, params);

export function twilioForm(url: string, authToken: string, params: Record<string, string>, signUrl = url): { headers: Record<string, string>; body: string } {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilio(authToken, signUrl, params) },
    body: new URLSearchParams(params).toString(),
  };
}

export async function startTwilioStandin(opts: TwilioStandinOptions = {}): Promise<TwilioStandin> {
  const accountSid = opts.accountSid ?? 'AC' + 'a1'.repeat(16);
  const authToken = opts.authToken ?? 'standin-auth-token-0123456789abcd';
  const number = opts.number ?? '447700900999';
  const faults: StandinFaults = { ...NO_FAULTS, ...opts.faults, permanent: { ...opts.faults?.permanent } };
  const roll = dice(opts.seed ?? 7);
  const window = { start: 0, count: 0 };
  const requests: SendRequest[] = [];
  const callbacksSent: TwilioStandin['callbacksSent'] = [];
  const expectedAuth = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
  const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  let acceptedCount = 0;
  const standin = {} as TwilioStandin;

  const error = (res: Parameters<typeof answerJson>[2], status: number, code: number, message: string) =>
    answerJson(base, faults.latencyMs, res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

  function callbacks(r: SendRequest, url: string) {
    const o = standin.receipts;
    if (!o) return;
    const final = o.status?.(r) ?? { status: 'delivered' };
    const steps = [{ status: 'sent' }, final];
    steps.forEach((step, i) => {
      base.later((o.delayMs ?? 0) * (i + 1), () => {
        if (base.closed()) return;
        const params: Record<string, string> = {
          SmsSid: r.id!, SmsStatus: step.status, MessageStatus: step.status, To: '+' + r.to, MessageSid: r.id!,
          AccountSid: accountSid, From: '+' + r.from, ApiVersion: '2010-04-01',
          ...('errorCode' in step && step.errorCode ? { ErrorCode: step.errorCode } : {}),
        };
        const form = twilioForm(url, authToken, params, o.signUrl?.(url) ?? url);
        void base.post(url, form.headers, form.body, o.retries ?? 100, o.retryMs ?? 200).then((httpStatus) => callbacksSent.push({ sid: r.id!, status: step.status, httpStatus }));
      });
    });
  }

  const base = await startBaseServer(opts.port, (req, res, raw) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== path) return error(res, 404, 20404, 'The requested resource was not found');
    const p = Object.fromEntries(new URLSearchParams(raw));
    const to = (p.To ?? '').replace(/^\+/, '');
    const callback = p.StatusCallback;
    const ref = callback ? new URL(callback).searchParams.get('ref') ?? undefined : undefined;
    const r: SendRequest = { to, from: (p.From ?? '').replace(/^\+/, ''), text: p.Body ?? '', clientRef: ref, outcome: 'accepted', id: undefined, at: Date.now() };
    requests.push(r);
    if (req.headers.authorization !== expectedAuth) return (r.outcome = 'unauthorized'), error(res, 401, 20003, 'Authenticate');
    if (!/^\+\d{6,15}$/.test(p.To ?? '')) return (r.outcome = 'error-21211'), error(res, 400, 21211, `The 'To' number ${p.To ?? ''} is not a valid phone number.`);
    if (r.from !== number) return (r.outcome = 'error-21606'), error(res, 400, 21606, `The From phone number ${p.From ?? ''} is not a valid, SMS-capable inbound phone number or short code for your account.`);
    if (!p.Body) return (r.outcome = 'error-21602'), error(res, 400, 21602, 'Message body is required.');
    const perm = faults.permanent[to];
    if (perm) return (r.outcome = `error-${perm}`), error(res, 400, Number(perm), `error ${perm}`);
    const fault = rollFault(faults, roll, acceptedCount, window);
    if (fault) r.outcome = fault;
    if (fault === 'hang') return void base.hanging.add(res);
    if (fault === 'down') return error(res, 503, 20503, 'Service Unavailable');
    if (fault === 'http500') return error(res, 500, 20500, 'Internal Server Error');
    if (fault === 'throttled') return error(res, 429, 20429, 'Too Many Requests');
    r.id = newSid();
    acceptedCount++;
    if (callback) callbacks(r, callback);
    if (fault === 'accepted-hang') return void base.hanging.add(res);
    const now = new Date().toUTCString();
    answerJson(base, faults.latencyMs, res, 201, {
      account_sid: accountSid, api_version: '2010-04-01', body: r.text, date_created: now, date_sent: null, date_updated: now,
      direction: 'outbound-api', error_code: null, error_message: null, from: '+' + r.from, messaging_service_sid: null,
      num_media: '0', num_segments: '1', price: null, price_unit: 'USD', sid: r.id, status: 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${r.id}/Media.json` }, to: '+' + to,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${r.id}.json`,
    });
  });

  Object.assign(standin, {
    url: base.url, accountSid, authToken, number, faults, receipts: opts.receipts, requests, callbacksSent,
    accepted: () => requests.filter((r) => r.outcome === 'accepted' || r.outcome === 'accepted-hang'),
    acceptedTo: (to: string) => standin.accepted().filter((r) => r.to === to.replace(/^\+/, '')).length,
    duplicates: () => duplicates(standin.accepted()),
    inbound(url: string, from: string, body: string, o: { sid?: string; signUrl?: string; retries?: number } = {}) {
      const params = twilioInboundParams(accountSid, from, number, body, o.sid);
      const form = twilioForm(url, authToken, params, o.signUrl ?? url);
      return base.post(url, form.headers, form.body, o.retries ?? 0);
    },
    setUnreachable: (on: boolean) => base.setUnreachable(on),
    waitFor: (pred: () => boolean, timeoutMs?: number) => waitFor(pred, 'twilio stand-in', timeoutMs),
    close: () => base.close(),
  } satisfies TwilioStandin);
  return standin;
}
