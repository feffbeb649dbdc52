// Property tests at the HTTP edge of the Vonage inbound webhook (issue #12), through app.inject and
// the real app with PostgreSQL: arbitrary strings, repeated keys, odd encodings (form, JSON, GET
// query, raw bytes) and concatenation parts never produce a 500, an exception or a hang. Unsigned
// requests are refused (401/400); correctly signed ones (signVonageParams) are accepted (200) or
// refused as malformed (400), each with a body in the one error vocabulary. A request that takes
// longer than HANG_MS counts as a hang: that is a failure, not a timed assertion of speed.
import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, memberSpecs, OUR_NUMBER, SIGNATURE_SECRET, testConfig } from './helpers/alert-fixtures.js';
import { signVonageParams, type WebhookParams } from '../src/providers/vonage-sms/signature.js';
import { ERROR_CODES } from '../src/http/errors.js';

const PATH = '/webhooks/vonage/inbound';
const HANG_MS = 10_000;
const RUNS = Number(process.env.PROPS_RUNS ?? 150);

async function send(app: FastifyInstance, opts: InjectOptions): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${HANG_MS} ms: ${JSON.stringify(opts).slice(0, 300)}`)), HANG_MS);
  });
  try {
    return await Promise.race([app.inject(opts), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Never a 5xx; a JSON body that is either accepted or an error from ERROR_CODES. */
function sane(res: LightMyRequestResponse, allowed: readonly number[], what: string): void {
  if (res.statusCode >= 500) throw new Error(`${what}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (!allowed.includes(res.statusCode)) throw new Error(`${what}: status ${res.statusCode} not in ${allowed.join('/')}: ${res.body.slice(0, 300)}`);
  const body = JSON.parse(res.body) as { status?: string; error?: string };
  if (res.statusCode === 200) {
    if (body.status !== 'accepted') throw new Error(`${what}: 200 without status accepted: ${res.body}`);
  } else if (typeof body.error !== 'string' || !(body.error in ERROR_CODES)) {
    throw new Error(`${what}: error body outside the vocabulary: ${res.body}`);
  }
}

// Any UTF-16 code unit, lone surrogates included; keys and values from what phones and attackers send.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: codeUnit, maxLength: 200 }),
  fc.constantFrom('', ' ', '&', '=', '%', '%zz', '%E0%A4', '+', '[]', '__proto__', 'constructor', 'a[b]', 'a.b', '\u0000', '\uD800', '\u{1F600}', 'true', 'null', '-1', '1e309', '0x10'),
);
const field = fc.constantFrom('msisdn', 'to', 'messageId', 'text', 'type', 'keyword', 'message-timestamp', 'timestamp', 'nonce', 'sig', 'concat', 'concat-ref', 'concat-part', 'concat-total', 'api-key', 'data', 'udh');
const key = fc.oneof(field, anyString);
const params = fc.dictionary(key, anyString, { maxKeys: 12 });
const format = fc.constantFrom('get', 'form', 'json' as const);

/** Percent-encoded as a form encodes it (lone surrogates as U+FFFD, where encodeURIComponent throws). */
const enc = (s: string) => new URLSearchParams([['x', s]]).toString().slice(2);

function request(p: Record<string, string>, how: 'get' | 'form' | 'json'): InjectOptions {
  if (how === 'get') return { method: 'GET', url: PATH, query: p };
  if (how === 'json') return { method: 'POST', url: PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(p) };
  return { method: 'POST', url: PATH, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(p).toString() };
}

/** A text from `from`, signed with the test secret; extra fields override the base ones before signing. */
function signed(from: string, text: string, extra: Record<string, string> = {}): WebhookParams {
  const now = new Date();
  return signVonageParams(
    {
      msisdn: from, to: OUR_NUMBER, messageId: randomBytes(8).toString('hex').toUpperCase(), text, type: 'unicode', keyword: 'X',
      'message-timestamp': now.toISOString().slice(0, 19).replace('T', ' '), timestamp: String(Math.floor(now.getTime() / 1000)),
      nonce: randomBytes(16).toString('hex'), ...extra,
    },
    SIGNATURE_SECRET,
    'md5hash',
  );
}

t.test('inbound webhook: arbitrary input never gives a 500, an exception or a hang', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(5));
  const app = await adminApp(db, () => new Date(), testConfig({ BATSIGNAL_NUMBER: OUR_NUMBER }));
  t.teardown(() => app.close());
  const member = (i: number) => `4477009000${String(i).padStart(2, '0')}`;

  t.test('arbitrary unsigned fields, as form, JSON and GET query: refused, never a 500', async (t) => {
    await fc.assert(
      fc.asyncProperty(params, format, async (p, how) => {
        sane(await send(app, request(p, how)), [400, 401], `unsigned ${how}`);
      }),
      { numRuns: RUNS },
    );
    t.pass(`${RUNS} unsigned requests`);
  });

  t.test('signed texts with arbitrary words and extra fields: accepted or refused as malformed, never a 500', async (t) => {
    const member5 = fc.integer({ min: 0, max: 6 }).map(member);
    const extra = fc.dictionary(fc.oneof(field, fc.string({ maxLength: 12 })), anyString, { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(member5, anyString, extra, format, async (from, text, more, how) => {
        sane(await send(app, request(signed(from, text, more), how)), [200, 400, 401], `signed ${how}`);
      }),
      { numRuns: RUNS },
    );
    // A plain signed text from a member in each format is accepted: the property above can tell a 200.
    for (const how of ['get', 'form', 'json'] as const) sane(await send(app, request(signed(member(1), 'HELP'), how)), [200], `plain ${how}`);
    t.pass(`${RUNS} signed requests`);
  });

  t.test('repeated keys, in the body, the query or both: a 400, never a 500', async (t) => {
    await fc.assert(
      fc.asyncProperty(field, fc.array(anyString, { minLength: 2, maxLength: 4 }), fc.constantFrom('form', 'get', 'both' as const), async (k, values, where) => {
        const base = signed(member(2), 'HELP');
        const repeated = values.map((v) => `${enc(k)}=${enc(v)}`).join('&');
        const rest = new URLSearchParams(Object.entries(base).filter(([x]) => x !== k)).toString();
        const opts: InjectOptions =
          where === 'get'
            ? { method: 'GET', url: `${PATH}?${rest}&${repeated}` }
            : where === 'form'
              ? { method: 'POST', url: PATH, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `${rest}&${repeated}` }
              : { method: 'POST', url: `${PATH}?${enc(k)}=${enc(values[0]!)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `${rest}&${enc(k)}=${enc(values[1]!)}` };
        sane(await send(app, opts), [400, 401], `repeated ${k} (${where})`);
      }),
      { numRuns: RUNS },
    );
    t.pass(`${RUNS} requests with a key sent twice`);
  });

  t.test('odd encodings: raw bytes, broken percent-escapes, charsets, JSON that is not an object', async (t) => {
    const rawBody = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.array(fc.constantFrom('%', '%z', '%zz', '%E0%A4', '%FF', '%00', '+', '&', '=', '&&', '==', 'text=', 'msisdn=4477', 'a[b]=c', 'a[]=1', '__proto__[x]=1', '\u00e9', '\uD800'), { maxLength: 20 }).map((xs) => Buffer.from(xs.join(''), 'utf8')),
      fc.json().map((j) => Buffer.from(j, 'utf8')),
      fc.jsonValue().map((j) => Buffer.from(JSON.stringify({ ...signed(member(3), 'HELP'), text: j }), 'utf8')),
    );
    const contentType = fc.constantFrom(
      'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=latin1', 'application/x-www-form-urlencoded; charset=utf-16',
      'application/json', 'application/json; charset=iso-8859-1', 'text/plain', 'multipart/form-data; boundary=x', '', 'application/x-www-form-urlencoded, application/json',
    );
    await fc.assert(
      fc.asyncProperty(rawBody, contentType, async (body, ct) => {
        const headers: Record<string, string> = ct ? { 'content-type': ct } : {};
        sane(await send(app, { method: 'POST', url: PATH, headers, payload: body }), [200, 400, 401, 413, 415], `raw body (${ct})`);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('%', '%zz', '%E0%A4', '&', '=', 'text=', 'a[b]=c', '+', '%2B', '#', '?'), { maxLength: 12 }), async (xs) => {
        sane(await send(app, { method: 'GET', url: `${PATH}?${xs.join('')}` }), [400, 401], 'odd query string');
      }),
      { numRuns: RUNS },
    );
    t.pass('raw bodies and query strings');
  });

  t.test('concatenation parts in any order, duplicated, missing or out of range: never a 500', async (t) => {
    const part = fc.record({
      ref: fc.oneof(fc.constantFrom('A1', 'A2', 'ff'), anyString),
      total: fc.oneof(fc.integer({ min: -2, max: 300 }).map(String), anyString),
      part: fc.oneof(fc.integer({ min: -2, max: 300 }).map(String), anyString),
      text: fc.oneof(anyString, fc.constantFrom('RAISE ', 'ACK 1', '!'.repeat(1600), '\u{1F600}'.repeat(400))),
      from: fc.integer({ min: 0, max: 6 }).map(member),
      how: format,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 8 }), async (parts) => {
        for (const p of parts) {
          const res = await send(app, request(signed(p.from, p.text, { concat: 'true', 'concat-ref': p.ref, 'concat-total': p.total, 'concat-part': p.part }), p.how));
          sane(res, [200, 400, 401], `part ${p.part}/${p.total} of ${p.ref}`);
        }
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
    // A whole text in parts, shuffled, with one part sent twice: accepted.
    const ref = 'B7';
    for (const n of [3, 1, 2, 3]) {
      sane(await send(app, request(signed(member(4), `part ${n} `, { concat: 'true', 'concat-ref': ref, 'concat-total': '3', 'concat-part': String(n) }), 'form')), [200], `whole text part ${n}`);
    }
    t.pass('concatenation parts');
  });
});
