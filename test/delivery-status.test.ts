// Every documented Vonage send status, HTTP error and timeout, through the real SDK against the
// stand-in, mapped to sent / retry / permanent failure (src/providers/vonage-sms/status-map.ts).
import t from 'tap';
import { startVonageStandin } from './helpers/vonage-standin.js';
import { createVonageSender } from '../src/providers/vonage-sms/client.js';
import { SEND_STATUS, sendVerdict, throttleWaitMs } from '../src/providers/vonage-sms/status-map.js';
import { retryAfterMs } from '../src/providers/vonage-sms/client.js';
import type { SendOutcome } from '../src/outbox/channel.js';

const RETRY = ['1', '5', '10'];
const PERMANENT = ['2', '3', '4', '6', '7', '8', '9', '11', '12', '14', '15', '22', '23', '29', '32', '33'];

t.test('every documented status is mapped', async (t) => {
  t.same(Object.keys(SEND_STATUS).sort(), [...RETRY, ...PERMANENT].sort(), 'the table is the documented list');
  const numbers = Object.fromEntries([...RETRY, ...PERMANENT, '77'].map((s, i) => [`4474001${String(i).padStart(5, '0')}`, s]));
  const vonage = await startVonageStandin({ faults: { permanent: numbers } });
  t.teardown(() => vonage.close());
  const sender = createVonageSender({ apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, restHost: vonage.url });
  for (const [to, status] of Object.entries(numbers)) {
    const out = await sender.send({ id: `${status}00`, to, from: '447700900999', text: 'hello', attempt: 1 });
    if (RETRY.includes(status) || status === '77') {
      t.match(out, { ok: false, retry: true }, `status ${status} is retried`);
    } else {
      t.match(out, { ok: false, retry: false }, `status ${status} is permanent`);
      t.ok(!out.ok && out.error.startsWith(`vonage ${status} ${SEND_STATUS[status]!.reason}: `), `with its reason: ${!out.ok && out.error}`);
    }
  }
  const throttled = await sender.send({ id: '1', to: Object.keys(numbers)[0]!, from: '447700900999', text: 'x' });
  t.same(throttled, { ok: false, retry: true, error: 'vonage 1 throttled: Throughput Rate Exceeded - please wait [ 1000 ] and retry', retryAfterMs: 1000 }, "Vonage's own wait is honoured");
  t.match(sendVerdict('77', 'odd', 3), { kind: 'permanent' }, 'an undocumented status gives up after 3 attempts');
  t.equal(throttleWaitMs('Throughput Rate Exceeded - please wait [ 978 ] and retry'), 978);
});

t.test('success: the message-id is kept; bad credentials are permanent', async (t) => {
  const vonage = await startVonageStandin();
  t.teardown(() => vonage.close());
  const ok = await createVonageSender({ apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, restHost: vonage.url }).send({ id: '42', to: '447400123456', from: '447700900999', text: 'hi' });
  t.same(ok, { ok: true, providerId: vonage.requests[0]!.messageIds[0] });
  t.equal(vonage.requests[0]!.clientRef, '42');
  const bad = await createVonageSender({ apiKey: vonage.apiKey, apiSecret: 'wrong', restHost: vonage.url }).send({ id: '43', to: '447400123456', from: '447700900999', text: 'hi' });
  t.same(bad, { ok: false, retry: false, error: 'vonage 4 invalid credentials: Bad Credentials' });
});

t.test('HTTP 500, 429 (Retry-After), 404, timeouts and refused connections', async (t) => {
  const vonage = await startVonageStandin();
  t.teardown(() => vonage.close());
  const sender = createVonageSender({ apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, restHost: vonage.url }, { timeoutMs: 200 });
  const send = (): Promise<SendOutcome> => sender.send({ id: '1', to: '447400123456', from: '447700900999', text: 'x' });

  vonage.faults.http500Fraction = 1;
  t.same(await send(), { ok: false, retry: true, error: 'vonage HTTP 500' });
  vonage.faults.http500Fraction = 0;
  vonage.faults.http429Fraction = 1;
  vonage.faults.retryAfterSeconds = 7;
  t.same(await send(), { ok: false, retry: true, error: 'vonage HTTP 429', retryAfterMs: 7000 });
  vonage.faults.http429Fraction = 0;
  vonage.faults.hangFraction = 1;
  t.match(await send(), { ok: false, retry: true, uncertain: true, error: /timed out/ }, 'a timeout may have been sent: uncertain');
  vonage.faults.hangFraction = 0;
  vonage.faults.latencyMs = 500;
  t.match(await send(), { ok: false, retry: true, uncertain: true }, 'a slow answer is a timeout too');
  vonage.faults.latencyMs = 0;

  const notFound = await createVonageSender({ apiKey: 'k', apiSecret: 's', restHost: vonage.url + '/nowhere' }).send({ id: '1', to: '447400123456', from: '447700900999', text: 'x' });
  t.same(notFound, { ok: false, retry: false, error: 'vonage HTTP 404 (request refused)' });

  const closed = await startVonageStandin();
  const url = closed.url;
  await closed.close();
  const refused = await createVonageSender({ apiKey: 'k', apiSecret: 's', restHost: url }).send({ id: '1', to: '447400123456', from: '447700900999', text: 'x' });
  t.match(refused, { ok: false, retry: true, error: /ECONNREFUSED/ });
  t.notOk('uncertain' in refused, 'refused before sending: certainly not sent');

  t.equal(retryAfterMs('120'), 120_000);
  t.equal(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now()) !== undefined, true);
  t.equal(retryAfterMs('soon'), undefined);
});
