// The Twilio and Vonage Messages clients, each the REAL SDK against its local stand-in: a send
// and what every failure becomes (retry, permanent, opted out, provider fault, uncertain); and the
// webhook signature checks on their own (valid, forged, missing, stale, wrong payload_hash, wrong URL).
import t from 'tap';
import { createTwilioSender } from '../src/providers/twilio/client.js';
import { parseTwilioInbound, parseTwilioStatus, verifyTwilioSignature } from '../src/providers/twilio/webhook.js';
import { createVonageMessagesSender, readPrivateKey } from '../src/providers/vonage-messages/client.js';
import { parseMessagesStatus, verifyMessagesJwt } from '../src/providers/vonage-messages/webhook.js';
import { signTwilio, startTwilioStandin, twilioInboundParams } from './helpers/twilio-standin.js';
import { signMessagesWebhook, startVonageMessagesStandin } from './helpers/vonage-messages-standin.js';

const msg = (id: string, to = '447700900001') => ({ id, to, from: '', text: 'BATSIGNAL #1 test', attempt: 1 });

t.test('twilio: send through the SDK, with our outbox id in the signed status callback URL', async (t) => {
  const tw = await startTwilioStandin();
  t.teardown(() => tw.close());
  const sender = createTwilioSender({ accountSid: tw.accountSid, authToken: tw.authToken, number: tw.number, apiBase: tw.url, publicUrl: 'https://batsignal.example.org' });
  const out = await sender.send(msg('42'));
  t.ok(out.ok, 'accepted');
  t.match(out.ok && out.providerId, /^SM[0-9a-f]{32}$/, 'the message sid');
  t.equal(tw.accepted().length, 1);
  t.equal(tw.requests[0]!.to, '447700900001');
  t.equal(tw.requests[0]!.from, tw.number, 'from our Twilio number');
  t.equal(tw.requests[0]!.clientRef, '42', 'StatusCallback carries ?ref=42');
});

t.test('twilio: each failure means what it should', async (t) => {
  const tw = await startTwilioStandin({ faults: { permanent: { '447700900002': '21211', '447700900003': '21610', '447700900004': '21614' } } });
  t.teardown(() => tw.close());
  const settings = { accountSid: tw.accountSid, authToken: tw.authToken, number: tw.number, apiBase: tw.url, publicUrl: 'https://b.example.org' };
  const sender = createTwilioSender(settings, { timeoutMs: 300 });

  t.match(await sender.send(msg('1', '447700900002')), { ok: false, retry: false, error: /21211/ }, 'invalid number: permanent');
  t.notOk((await sender.send(msg('1', '447700900002')) as { providerFault?: boolean }).providerFault, 'the member, not the provider');
  t.match(await sender.send(msg('2', '447700900003')), { ok: false, retry: false, optedOut: true, error: /21610/ }, 'unsubscribed: opted out');
  t.match(await sender.send(msg('3', '447700900004')), { ok: false, retry: false, error: /21614/ }, 'not a mobile: permanent');

  tw.faults.throttleFraction = 1;
  t.match(await sender.send(msg('4')), { ok: false, retry: true, throttled: true, error: /20429/ }, '429: retry, throttled');
  tw.faults.throttleFraction = 0;
  tw.faults.http500Fraction = 1;
  t.match(await sender.send(msg('5')), { ok: false, retry: true, providerFault: true, error: /20500/ }, '500: provider fault');
  tw.faults.http500Fraction = 0;
  tw.faults.down = true;
  t.match(await sender.send(msg('6')), { ok: false, retry: true, providerFault: true, error: /20503/ }, '503: provider fault');
  t.notOk((await sender.send(msg('6')) as { uncertain?: boolean }).uncertain, 'an answer is definite');
  tw.faults.down = false;
  tw.faults.hangFraction = 1;
  t.match(await sender.send(msg('7')), { ok: false, retry: true, uncertain: true, providerFault: true }, 'timeout: uncertain');
  tw.faults.hangFraction = 0;

  const wrongToken = createTwilioSender({ ...settings, authToken: 'not-the-token-000000000000000000' });
  t.match(await wrongToken.send(msg('8')), { ok: false, retry: true, providerFault: true, error: /20003/ }, 'auth failure: provider fault');

  await tw.setUnreachable(true);
  // The first request may meet the kept-alive connection the server just closed (ECONNRESET: uncertain).
  await sender.send(msg('9'));
  const refused = await sender.send(msg('9'));
  t.match(refused, { ok: false, retry: true, providerFault: true, error: /ECONNREFUSED/ }, 'refused: provider fault');
  t.notOk((refused as { uncertain?: boolean }).uncertain, 'refused is definite');
  await tw.setUnreachable(false);
  t.ok((await sender.send(msg('10'))).ok, 'back');
});

t.test('twilio: validateRequest over PUBLIC_URL + path + query', async (t) => {
  const token = 'standin-auth-token-0123456789abcd';
  const url = 'https://batsignal.example.org/webhooks/twilio/status?ref=12';
  const params = { MessageSid: 'SM' + 'ab'.repeat(16), MessageStatus: 'delivered', AccountSid: 'AC' + 'a1'.repeat(16), To: '+447700900001' };
  const sig = signTwilio(token, url, params);
  t.ok(verifyTwilioSignature([token], sig, url, params), 'valid');
  t.ok(verifyTwilioSignature(['other-token-xxxxxxxxxxxxxxxxxxxxxx', token], sig, url, params), 'the previous token during a rotation');
  t.notOk(verifyTwilioSignature([token], undefined, url, params), 'missing');
  t.notOk(verifyTwilioSignature([token], sig, url, { ...params, MessageStatus: 'failed' }), 'a changed field');
  t.notOk(verifyTwilioSignature([token], signTwilio('forged-token-xxxxxxxxxxxxxxxxxxxx', url, params), url, params), 'forged');
  t.notOk(verifyTwilioSignature([token], signTwilio(token, 'https://evil.example.org/webhooks/twilio/status?ref=12', params), url, params), 'signed over another URL');
  t.notOk(verifyTwilioSignature([token], sig, 'https://batsignal.example.org/webhooks/twilio/status?ref=13', params), 'another ref in the URL');
});

t.test('twilio: inbound and status fields are allow-listed', async (t) => {
  const sid = 'AC' + 'a1'.repeat(16);
  const p = twilioInboundParams(sid, '447700900001', '447700900999', 'ACK 3');
  t.match(parseTwilioInbound(p, sid), { ok: true, sms: { from: '447700900001', to: '447700900999', body: 'ACK 3' } });
  t.match(parseTwilioInbound({ ...p, AccountSid: 'AC' + 'b2'.repeat(16) }, sid), { ok: false, message: /not this account/ });
  t.match(parseTwilioInbound({ ...p, MessageSid: 'nope', SmsSid: 'nope' }, sid), { ok: false });
  t.match(parseTwilioInbound({ ...p, Body: 'x'.repeat(1601) }, sid), { ok: false, message: /1600/ });
  const st = { MessageSid: 'SM' + 'ab'.repeat(16), MessageStatus: 'undelivered', ErrorCode: '30003', AccountSid: sid, To: '+447700900001' };
  t.match(parseTwilioStatus(st, '12', sid), { ok: true, receipt: { clientRef: '12', status: 'failed', error: /30003: unreachable/, msisdn: '447700900001' } });
  t.match(parseTwilioStatus({ ...st, MessageStatus: 'delivered' }, '12', sid), { ok: true, receipt: { status: 'delivered', error: null } });
  t.match(parseTwilioStatus({ ...st, MessageStatus: 'exploded' }, '12', sid), { ok: false });
  t.match(parseTwilioStatus(st, '1; DROP', sid), { ok: false });
});

t.test('vonage messages: send through the SDK with application id + private key (JWT checked by the stand-in)', async (t) => {
  const vm = await startVonageMessagesStandin();
  t.teardown(() => vm.close());
  const sender = createVonageMessagesSender({ applicationId: vm.applicationId, privateKey: vm.privateKey, host: vm.url, number: vm.number });
  const out = await sender.send(msg('77'));
  t.ok(out.ok, 'accepted');
  t.match(out.ok && out.providerId, /^[0-9a-f-]{36}$/, 'the message uuid');
  t.same(vm.accepted().map((r) => [r.to, r.from, r.clientRef]), [['447700900001', vm.number, '77']], 'client_ref = outbox id');

  const other = await startVonageMessagesStandin();
  t.teardown(() => other.close());
  const wrongKey = createVonageMessagesSender({ applicationId: vm.applicationId, privateKey: other.privateKey, host: vm.url, number: vm.number });
  t.match(await wrongKey.send(msg('78')), { ok: false, retry: true, providerFault: true, error: /401/ }, 'a JWT from another key: 401, provider fault');
});

t.test('vonage messages: each failure means what it should', async (t) => {
  const vm = await startVonageMessagesStandin({ faults: { permanent: { '447700900002': '1150' } } });
  t.teardown(() => vm.close());
  const sender = createVonageMessagesSender({ applicationId: vm.applicationId, privateKey: vm.privateKey, host: vm.url, number: vm.number }, { timeoutMs: 300 });
  t.match(await sender.send(msg('1', '447700900002')), { ok: false, retry: false, error: /422/ }, '422: permanent');
  vm.faults.throttleFraction = 1;
  t.match(await sender.send(msg('2')), { ok: false, retry: true, throttled: true, error: /429 Rate Limit Hit/ });
  vm.faults.throttleFraction = 0;
  vm.faults.down = true;
  t.match(await sender.send(msg('3')), { ok: false, retry: true, providerFault: true, error: /503/ });
  vm.faults.down = false;
  vm.faults.hangFraction = 1;
  t.match(await sender.send(msg('4')), { ok: false, retry: true, uncertain: true, providerFault: true, error: /timed out/ });
  vm.faults.hangFraction = 0;
  await vm.setUnreachable(true);
  await sender.send(msg('5'));
  const refused = await sender.send(msg('5'));
  t.match(refused, { ok: false, retry: true, providerFault: true, error: /ECONNREFUSED/ });
  t.notOk((refused as { uncertain?: boolean }).uncertain, 'refused is definite');
});

t.test('vonage messages: the webhook JWT (signature, payload_hash, iat)', async (t) => {
  const secret = 'signature-secret-for-tests';
  const body = JSON.stringify({ message_uuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', status: 'delivered' });
  const now = Date.now();
  const bearer = (token: string) => `Bearer ${token}`;
  t.match(verifyMessagesJwt(bearer(signMessagesWebhook(secret, body)), body, [secret], now), { ok: true }, 'valid');
  t.match(verifyMessagesJwt(bearer(signMessagesWebhook(secret, body)), body, ['old-secret-xxxxxxxx', secret], now), { ok: true }, 'the previous secret during a rotation');
  t.match(verifyMessagesJwt(undefined, body, [secret], now), { ok: false, reason: 'missing' }, 'missing');
  t.match(verifyMessagesJwt('Basic abc', body, [secret], now), { ok: false, reason: 'missing' }, 'not a bearer');
  t.match(verifyMessagesJwt(bearer(signMessagesWebhook('forged-secret-xxxxxxx', body)), body, [secret], now), { ok: false, reason: 'bad_signature' }, 'forged');
  t.match(verifyMessagesJwt(bearer(signMessagesWebhook(secret, body, { iat: Math.floor(now / 1000) - 301 })), body, [secret], now), { ok: false, reason: 'stale' }, 'stale iat');
  t.match(verifyMessagesJwt(bearer(signMessagesWebhook(secret, body, { iat: Math.floor(now / 1000) + 120 })), body, [secret], now), { ok: false, reason: 'stale' }, 'iat in the future');
  t.match(verifyMessagesJwt(bearer(signMessagesWebhook(secret, body)), body.replace('delivered', 'rejected'), [secret], now), { ok: false, reason: 'payload_hash' }, 'body swapped under a valid token');
  t.match(verifyMessagesJwt(bearer(signMessagesWebhook(secret, body, { payloadHash: 'abc' })), body, [secret], now), { ok: false, reason: 'payload_hash' }, 'malformed payload_hash');
  const [h, c] = signMessagesWebhook(secret, body, { alg: 'none' }).split('.');
  t.match(verifyMessagesJwt(bearer(`${h}.${c}.x`), body, [secret], now), { ok: false, reason: 'bad_signature' }, 'alg none');
});

t.test('vonage messages: statuses map onto ours; the private key is PEM or a path', async (t) => {
  const base = { message_uuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', to: '447700900001', client_ref: '9' };
  t.match(parseMessagesStatus({ ...base, status: 'submitted' }), { ok: true, receipt: { status: 'accepted', clientRef: '9', error: null } });
  t.match(parseMessagesStatus({ ...base, status: 'delivered' }), { ok: true, receipt: { status: 'delivered' } });
  t.match(parseMessagesStatus({ ...base, status: 'rejected', error: { title: 1250, detail: 'Unroutable' } }), { ok: true, receipt: { status: 'rejected', error: /1250: Unroutable/ } });
  t.match(parseMessagesStatus({ ...base, status: 'undeliverable' }), { ok: true, receipt: { status: 'failed' } });
  t.match(parseMessagesStatus({ ...base, status: 'exploded' }), { ok: false });
  t.match(parseMessagesStatus({ ...base, client_ref: 'not-ours', status: 'delivered' }), { ok: true, receipt: { clientRef: undefined } });
  t.throws(() => readPrivateKey('-----BEGIN nonsense'), /PEM/);
  t.throws(() => readPrivateKey('/nonexistent/private.key'));
});
