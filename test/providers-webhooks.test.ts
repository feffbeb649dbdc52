// The Twilio and Vonage Messages webhooks through the app: signed inbound texts reach the same
// intake (a member may text either number; the inbound row keeps which), forged, missing, stale,
// replayed or tampered ones are refused; GET /api/providers and the manual switch.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { freshDatabase } from './helpers/db.js';
import { addMembers, ADMIN_TOKEN, bearer, memberSpecs, OUR_NUMBER, SIGNATURE_SECRET, testConfig } from './helpers/alert-fixtures.js';
import { signTwilio, twilioInboundParams } from './helpers/twilio-standin.js';
import { messagesInboundBody, signedMessagesPost } from './helpers/vonage-messages-standin.js';
import { newRsaKey } from './helpers/vonage-messages-standin.js';
import { buildApp } from '../src/app.js';

const SID = 'AC' + 'a1'.repeat(16);
const TOKEN = 'twilio-auth-token-0123456789abcd';
const TWILIO_NUMBER = '447700900998';
const PUBLIC_URL = 'https://batsignal.example.org';

t.test('signed webhooks from both providers; refusals; the providers API', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(3));
  const config = testConfig({
    VONAGE_APPLICATION_ID: randomUUID(), VONAGE_PRIVATE_KEY: newRsaKey(), TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN,
    TWILIO_NUMBER, PUBLIC_URL, SMS_PROVIDERS: 'vonage,twilio', TWILIO_RATE_PER_SECOND: '10',
  });
  const app = await buildApp({ config, db, clock: () => new Date(), adminTokens: [ADMIN_TOKEN] });
  t.teardown(() => app.close());
  const member = memberSpecs(3)[1]!.phone.slice(1);

  // Vonage Messages API inbound.
  const body = messagesInboundBody(member, OUR_NUMBER, 'HELP');
  const ok = signedMessagesPost(SIGNATURE_SECRET, body);
  const post = (url: string, p: { headers: Record<string, string>; body: string }) => app.inject({ method: 'POST', url, headers: p.headers, payload: p.body });
  t.equal((await post('/webhooks/vonage/messages/inbound', ok)).statusCode, 200, 'valid JWT');
  t.equal((await post('/webhooks/vonage/messages/inbound', ok)).statusCode, 401, 'replayed jti');
  t.equal((await post('/webhooks/vonage/messages/inbound', { headers: { 'content-type': 'application/json' }, body: ok.body })).statusCode, 401, 'missing token');
  t.equal((await post('/webhooks/vonage/messages/inbound', signedMessagesPost('forged-secret-xxxxxxxx', body))).statusCode, 401, 'forged');
  t.equal((await post('/webhooks/vonage/messages/inbound', signedMessagesPost(SIGNATURE_SECRET, body, { iat: Math.floor(Date.now() / 1000) - 3600 }))).statusCode, 401, 'stale iat');
  const swapped = signedMessagesPost(SIGNATURE_SECRET, body);
  t.equal((await post('/webhooks/vonage/messages/inbound', { ...swapped, body: swapped.body.replace('HELP', 'RAISE') })).statusCode, 401, 'wrong payload_hash');

  // Twilio inbound: the same member texts the Twilio number.
  const url = '/webhooks/twilio/inbound';
  const params = twilioInboundParams(SID, member, TWILIO_NUMBER, 'STATUS');
  const form = (sig: string | undefined) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sig ? { 'x-twilio-signature': sig } : {}) }, body: new URLSearchParams(params).toString() });
  t.equal((await post(url, form(signTwilio(TOKEN, 'https://elsewhere.example.org' + url, params)))).statusCode, 401, 'signature over the wrong URL');
  t.equal((await post(url, form(undefined))).statusCode, 401, 'missing signature');
  t.equal((await post(url, form(signTwilio('forged-token-xxxxxxxxxxxxxxxxxx', PUBLIC_URL + url, params)))).statusCode, 401, 'forged');
  const good = await post(url, form(signTwilio(TOKEN, PUBLIC_URL + url, params)));
  t.equal(good.statusCode, 200, 'valid signature');
  t.match(good.body, /<Response><\/Response>/, 'empty TwiML');

  const rows = await db.selectFrom('inbound_messages').select(['provider', 'outcome']).orderBy('provider', 'desc').execute();
  t.same(rows, [{ provider: 'vonage', outcome: 'processed' }, { provider: 'twilio', outcome: 'processed' }], 'both reached the intake; the row keeps the number used');
  const replies = await db.selectFrom('outbox').select(['recipient', 'kind']).where('kind', '=', 'reply').execute();
  t.equal(replies.length, 2, 'each answered');

  // The API.
  const list = await app.inject({ method: 'GET', url: '/api/providers', headers: bearer });
  t.equal(list.statusCode, 200);
  t.match(list.json(), { providers: [{ name: 'vonage', api: 'messages', state: 'up', enabled: true, preferred: true }, { name: 'twilio', ratePerSecond: 10, number: TWILIO_NUMBER, preferred: false }] });
  t.equal((await app.inject({ method: 'GET', url: '/api/providers' })).statusCode, 401, 'admin only');
  const off = await app.inject({ method: 'POST', url: '/api/providers/vonage', headers: bearer, payload: { enabled: false, reason: 'maintenance' } });
  t.equal(off.statusCode, 200);
  t.match((await app.inject({ method: 'GET', url: '/api/providers', headers: bearer })).json(), { providers: [{ name: 'vonage', enabled: false, disabledReason: 'maintenance', preferred: false }, { name: 'twilio', preferred: true }] });
  t.equal((await app.inject({ method: 'POST', url: '/api/providers/nexmo', headers: bearer, payload: { enabled: false } })).statusCode, 404);
  const bad = async (payload: object) => {
    const r = await app.inject({ method: 'POST', url: '/api/providers/twilio', headers: bearer, payload });
    return { status: r.statusCode, ...r.json<{ error: string; message: string }>() };
  };
  t.match(await bad({ enabled: 'no' }), { status: 400, error: 'invalid_request', message: /enabled/ });
  t.match(await bad({ enabled: false, reason: 'x'.repeat(201) }), { status: 400, error: 'invalid_request', message: /reason/ });
  t.match(await bad({ reason: 'forgot enabled' }), { status: 400, error: 'invalid_request', message: /enabled/ });
  t.match(await bad({ enabled: false, extra: 1 }), { status: 400, error: 'invalid_request' });
  const times = (await app.inject({ method: 'GET', url: '/api/providers', headers: bearer })).json<{ providers: { lastSuccessAt: string | null; downSince: string | null }[] }>();
  for (const p of times.providers) for (const v of [p.lastSuccessAt, p.downSince]) t.ok(v === null || !Number.isNaN(Date.parse(v)), `a time or null: ${v}`);
});
