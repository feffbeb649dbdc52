// The inbound SMS edge over HTTP: formats, signatures, validation, de-duplication, wrong `to`.
import t, { type Test } from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig, type SignatureMethod } from '../src/config.js';
import type { Database } from '../src/db/connect.js';
import { freshDatabase } from './helpers/db.js';
import { signVonageParams } from '../src/providers/vonage-sms/signature.js';
import { deliver, inboundParams, simulatedPhone } from './helpers/phone.js';

/** The tests' clock starts now, to the minute; each test moves it on explicitly. */
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const SECRET = 'inbound-test-secret';
const MEMBER = '+447700900001';
const OUR = '447700900000';

async function setup(t: Test, env: Record<string, string> = {}) {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ VONAGE_SIGNATURE_SECRET: SECRET, BATSIGNAL_NUMBER: OUR, ...env });
  // Time is controlled: each test moves it on explicitly (members may text 10 times a minute).
  // Starts at the real time (to the minute): the webhooks' signed timestamps must be within the replay window.
  const time = { now: new Date(T0), advance: (s: number) => (time.now = new Date(time.now.getTime() + s * 1000)) };
  const app = await buildApp({ config, db, clock: () => time.now, adminTokens: ['test-admin-token-123456'] });
  t.teardown(() => app.close());
  await db.insertInto('members').values({ name: 'Ada Member', phone: MEMBER, organisation: 'Northtown Trust' }).execute();
  return { db, app, config, time };
}

/** Signs exactly these params (inboundParams always fills in the usual fields). */
const signedExactly = (p: Record<string, string>, method: SignatureMethod = 'md5hash') => signVonageParams(p, SECRET, method);

const count = async (db: Database, table: 'inbound_messages' | 'outbox' | 'stranger_replies' | 'alerts') =>
  (await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;

const inbound = (db: Database) => db.selectFrom('inbound_messages').selectAll().orderBy('received_at').execute();

t.test('GET, form and JSON webhooks, md5hash signed: each text reaches the conversation once', async (t) => {
  const { db, app } = await setup(t);
  for (const format of ['get', 'form', 'json'] as const) {
    const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, format, t });
    await phone.skipAll();
    const res = await phone.send('HELP');
    t.equal(res.statusCode, 200, format);
    t.same(res.json(), { status: 'accepted' }, 'the body does not say whether the sender is a member');
    await phone.expect(/RAISE/);
    await phone.expectNothing();
  }
  const rows = await inbound(db);
  t.equal(rows.length, 3);
  t.same(rows.map((r) => [r.msisdn, r.text, r.outcome]), Array(3).fill(['447700900001', 'HELP', 'processed']));
});

t.test('sha256 signatures', async (t) => {
  const { db, app } = await setup(t, { VONAGE_SIGNATURE_METHOD: 'sha256' });
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, method: 'sha256', t });
  await phone.send('help');
  await phone.expect(/RAISE/);
  const md5 = await phone.post(inboundParams(MEMBER, 'HELP', { secret: SECRET, method: 'md5hash' }));
  t.equal(md5.statusCode, 401, 'a signature made with another method is refused');
});

t.test('forged and missing signatures: 401 and nothing stored', async (t) => {
  const { db, app } = await setup(t);
  const forged = simulatedPhone(app, db, MEMBER, { secret: 'not-the-secret', t });
  for (const format of ['get', 'form', 'json'] as const) {
    const res = await forged.post(inboundParams(MEMBER, 'RAISE', { secret: 'not-the-secret' }), format);
    t.equal(res.statusCode, 401, `forged ${format}`);
    t.match(res.json(), { error: 'invalid_signature' });
    const unsigned = await forged.post(inboundParams(MEMBER, 'RAISE'), format);
    t.equal(unsigned.statusCode, 401, `missing ${format}`);
  }
  const signed = inboundParams(MEMBER, 'RAISE', { secret: SECRET });
  const tampered = await forged.post({ ...signed, text: 'RAISE fake' });
  t.equal(tampered.statusCode, 401, 'a signed text changed in transit');
  const garbage = await forged.post({ ...signed, sig: 'not hex at all' });
  t.equal(garbage.statusCode, 401, 'a malformed sig');
  t.equal(await count(db, 'inbound_messages'), '0');
  t.equal(await count(db, 'outbox'), '0');
  t.equal(await count(db, 'stranger_replies'), '0');
});

t.test('the previous secret is accepted during a rotation', async (t) => {
  const { db, app } = await setup(t, { VONAGE_SIGNATURE_SECRET: 'the-new-secret', VONAGE_SIGNATURE_SECRET_PREVIOUS: SECRET });
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  await phone.send('HELP');
  await phone.expect(/RAISE/);
});

t.test('never open: with no secret every webhook is refused, unless VONAGE_ALLOW_UNSIGNED says so', async (t) => {
  const { db } = await freshDatabase(t);
  const closed = loadConfig({ BATSIGNAL_NUMBER: OUR });
  t.same(closed.signatureSecrets, []);
  const app = await buildApp({ config: closed, db, clock: () => new Date(), adminTokens: ['test-admin-token-123456'] });
  t.teardown(() => app.close());
  await db.insertInto('members').values({ name: 'Ada', phone: MEMBER }).execute();
  for (const format of ['get', 'form', 'json'] as const) {
    const res = await deliver(app, inboundParams(MEMBER, 'HELP'), format);
    t.equal(res.statusCode, 401, `unsigned ${format} refused`);
    t.equal(res.json().error, 'invalid_signature');
  }
  t.equal((await deliver(app, inboundParams(MEMBER, 'HELP', { secret: 'any-secret-at-all' }))).statusCode, 401, 'signed with a guess: refused');
  t.equal((await db.selectFrom('inbound_messages').select('message_id').execute()).length, 0, 'nothing stored');

  const open = loadConfig({ BATSIGNAL_NUMBER: OUR, VONAGE_ALLOW_UNSIGNED: 'true' });
  const openApp = await buildApp({ config: open, db, clock: () => new Date(), adminTokens: ['test-admin-token-123456'] });
  t.teardown(() => openApp.close());
  const phone = simulatedPhone(openApp, db, MEMBER, { t });
  await phone.send('HELP');
  await phone.expect(/RAISE/);
});

t.test('odd requests are 4xx with a clear message, never reach the SDK, store nothing', async (t) => {
  const { db, app } = await setup(t);
  const signed = inboundParams(MEMBER, 'HELP', { secret: SECRET });
  const qs = new URLSearchParams(signed).toString();

  const repeated = await app.inject({ method: 'GET', url: `/webhooks/vonage/inbound?${qs}&text=again` });
  t.equal(repeated.statusCode, 400);
  t.match(repeated.json(), { error: 'invalid_request', message: /text.*repeated/ });

  const numberTyped = await app.inject({ method: 'POST', url: '/webhooks/vonage/inbound', payload: { ...signed, 'concat-part': 2 } });
  t.equal(numberTyped.statusCode, 400);
  t.match(numberTyped.json(), { message: /concat-part.*single string/ });

  const nested = await app.inject({ method: 'POST', url: '/webhooks/vonage/inbound', payload: { ...signed, text: { $gt: '' } } });
  t.equal(nested.statusCode, 400, 'an object where a string belongs');

  const arrayBody = await app.inject({ method: 'POST', url: '/webhooks/vonage/inbound', payload: [signed] });
  t.equal(arrayBody.statusCode, 400, 'a JSON array body');

  const both = await app.inject({
    method: 'POST', url: `/webhooks/vonage/inbound?text=${encodeURIComponent('RAISE')}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(signed).toString(),
  });
  t.equal(both.statusCode, 400);
  t.match(both.json(), { message: /both in the query string and in the body/ });

  const badJson = await app.inject({ method: 'POST', url: '/webhooks/vonage/inbound', headers: { 'content-type': 'application/json' }, payload: '{"msisdn":' });
  t.equal(badJson.statusCode, 400, 'malformed JSON');

  const huge = await app.inject({
    method: 'POST', url: '/webhooks/vonage/inbound',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'text=' + 'x'.repeat(70 * 1024),
  });
  t.equal(huge.statusCode, 413, 'a body over the limit');

  t.equal(await count(db, 'inbound_messages'), '0');
});

t.test('missing and malformed fields (signed, so past the signature check): 400 naming the field', async (t) => {
  const { db, app } = await setup(t);
  const cases: [string, (p: Record<string, string>) => void, RegExp][] = [
    ['no msisdn', (p) => delete p.msisdn, /msisdn is required/],
    ['no messageId', (p) => delete p.messageId, /messageId is required/],
    ['no to', (p) => delete p.to, /to is required/],
    ['no text', (p) => delete p.text, /text is required/],
    ['msisdn with +', (p) => (p.msisdn = '+447700900001'), /msisdn/],
    ['messageId with spaces', (p) => (p.messageId = 'a b'), /messageId/],
    ['type with symbols', (p) => (p.type = 'te$t'), /type/],
    ['text over 3,200', (p) => (p.text = 'x'.repeat(3201)), /3200/],
    ['concat without ref', (p) => Object.assign(p, { concat: 'true', 'concat-part': '1', 'concat-total': '2' }), /concat-ref/],
    ['concat part beyond total', (p) => Object.assign(p, { concat: 'true', 'concat-ref': 'A1', 'concat-part': '3', 'concat-total': '2' }), /concat-part/],
    ['concat part zero', (p) => Object.assign(p, { concat: 'true', 'concat-ref': 'A1', 'concat-part': '0', 'concat-total': '2' }), /concat-part/],
    ['concat total not a number', (p) => Object.assign(p, { concat: 'true', 'concat-ref': 'A1', 'concat-part': '1', 'concat-total': 'two' }), /whole numbers/],
    ['concat false with fields', (p) => Object.assign(p, { concat: 'false', 'concat-ref': 'A1', 'concat-part': '1', 'concat-total': '2' }), /concat/],
  ];
  for (const [name, change, message] of cases) {
    const p: Record<string, string> = inboundParams(MEMBER, 'HELP');
    change(p);
    const signed = await deliver(app, signedExactly(p));
    t.equal(signed.statusCode, 400, name);
    t.match(signed.json(), { error: 'invalid_request', message }, name);
  }
  t.equal(await count(db, 'outbox'), '0');
});


t.test('text content: empty, 2,000 characters, control characters, unicode and emoji', async (t) => {
  const { db, app, time } = await setup(t);
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  const long = 'Suspicious traffic on port 445 from the imaging network. '.repeat(40).slice(0, 2000);
  const samples: [string, string][] = [
    ['', ''],
    [long, long],
    ['ACK\u0000 12\u0007\u001b[31m', 'ACK 12[31m'],
    ['line one\nline two\ttab', 'line one\nline two\ttab'],
    ['Ransomware 🚨 at Northtown — café “wing” ç', 'Ransomware 🚨 at Northtown — café “wing” ç'],
    ['lone \ud83d surrogate', 'lone \ufffd surrogate'],
  ];
  for (const [sent, stored] of samples) {
    for (const format of ['form', 'json'] as const) {
      time.advance(10);
      const res = await phone.post(inboundParams(MEMBER, sent, { secret: SECRET }), format);
      t.equal(res.statusCode, 200, `${format}: ${JSON.stringify(sent.slice(0, 20))}`);
      const row = await db.selectFrom('inbound_messages').select(['text', 'outcome']).orderBy('received_at', 'desc').executeTakeFirstOrThrow();
      t.same(row, { text: stored, outcome: 'processed' });
    }
  }
  t.equal(await count(db, 'inbound_messages'), String(samples.length * 2), 'every text stored');
  t.equal((await phone.received()).length, samples.length * 2, 'every text answered by the conversation');
});

t.test('binary, unknown type and wrong `to`: acknowledged, recorded as ignored, not interpreted', async (t) => {
  const { db, app } = await setup(t);
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  const binary = signedExactly({ msisdn: '447700900001', to: OUR, messageId: 'BIN1', type: 'binary', data: '0A0B', udh: '050003CC0201' });
  t.equal((await phone.post(binary)).statusCode, 200, 'binary');
  t.equal((await phone.send('HELP', { type: 'wap-push' })).statusCode, 200, 'unknown type');
  t.equal((await phone.send('HELP', { to: '447700900999' })).statusCode, 200, 'wrong to');
  const rows = await inbound(db);
  t.same(rows.map((r) => r.outcome), ['ignored', 'ignored', 'ignored']);
  t.equal(rows[0]!.text, '', 'binary payloads are not kept');
  await phone.expectNothing();
});

t.test('a type-less webhook is read as text (the documented default)', async (t) => {
  const { db, app } = await setup(t);
  const p = inboundParams(MEMBER, 'HELP');
  delete p.type;
  t.equal((await deliver(app, signedExactly(p))).statusCode, 200);
  t.equal((await inbound(db))[0]!.outcome, 'processed');
});

t.test('duplicates: a retried webhook and two copies at the same instant are processed once', async (t) => {
  const { db, app } = await setup(t);
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  const once = inboundParams(MEMBER, 'HELP', { secret: SECRET });
  t.equal((await phone.post(once)).statusCode, 200);
  t.equal((await phone.post(once, 'json')).statusCode, 200, 'the retry is acknowledged');
  await phone.expect(/RAISE/);
  await phone.expectNothing();

  const burst = inboundParams(MEMBER, 'HELP', { secret: SECRET });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => phone.post(burst, i % 2 ? 'form' : 'get')));
  t.same(results.map((r) => r.statusCode), Array(8).fill(200));
  await phone.expect(/RAISE/);
  await phone.expectNothing();
  t.equal(await count(db, 'inbound_messages'), '2');
});

t.test('with the conversation: a raise by text over GET, JSON and form, description in three parts out of order', async (t) => {
  const { db, app, time } = await setup(t);
  await db.insertInto('members').values({ name: 'Ben Other', phone: '+447700900002', organisation: 'Southtown Trust' }).execute();
  const raiser = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  const other = simulatedPhone(app, db, '+447700900002', { secret: SECRET, t });
  const spoofer = simulatedPhone(app, db, '+447700900666', { secret: SECRET, t });

  await raiser.send('RAISE', {}, 'get');
  await raiser.expect(/propagate to other NHS organisations\? Reply YES or NO/);
  time.advance(20);
  await raiser.send(' yes ', {}, 'json');
  await raiser.expect(/Describe the incident/);
  time.advance(20);
  const summary = ['Ransomware on the imaging network at Northtown, ', 'spreading over SMB. Block 445 at the ', 'border and watch for .locked files'];
  await raiser.sendParts(summary, [2, 3, 1]);
  const confirm = await raiser.expect(/Alert to 1 member: ".*imaging network.*445 at the border.*". Reply CONFIRM (\d+)/);
  const code = /CONFIRM (\d+)/.exec(confirm)![1]!;

  await spoofer.send(`CONFIRM ${code}`);
  await spoofer.expect(/members only/);
  t.equal(await count(db, 'alerts'), '0', 'a stranger sending the code raises nothing');

  time.advance(20);
  await raiser.send(`CONFIRM ${code}`);
  await raiser.expect(/Alert #1 sent to 1 member/);
  await other.expect(/BATSIGNAL #1 from Ada Member \(Northtown Trust\): Ransomware on the imaging network/);
  await raiser.expectNothing();
});

t.test('replay window: a signed text over 25 hours old or from the future is refused as stale_request', async (t) => {
  const { db, app, time } = await setup(t);
  const at = (secondsAgo: number, text = 'HELP') =>
    inboundParams(MEMBER, text, { secret: SECRET, extra: { timestamp: String(Math.floor(time.now.getTime() / 1000) - secondsAgo) } });
  for (const [ago, what] of [[25 * 3600 + 1, 'just over 25 hours old'], [7 * 24 * 3600, 'a week old'], [-301, 'five minutes and a second ahead'], [-86_400, 'a day ahead']] as const) {
    for (const format of ['get', 'form', 'json'] as const) {
      const res = await deliver(app, at(ago), format);
      t.equal(res.statusCode, 401, `${what} (${format})`);
      t.same(res.json(), { error: 'stale_request', message: res.json<{ message: string }>().message });
      t.match(res.json<{ message: string }>().message, /timestamp is .* (old|in the future)/);
    }
  }
  t.equal(await count(db, 'inbound_messages'), '0', 'none stored');
  // Vonage retries for 24 hours: a retry of a day-old text, and a clock a little ahead, are accepted.
  t.equal((await deliver(app, at(24 * 3600 + 60))).statusCode, 200, 'a 24-hour-old retry');
  time.advance(20);
  t.equal((await deliver(app, at(-120))).statusCode, 200, 'two minutes ahead');
  t.equal((await deliver(app, at(0, 'x'), 'form')).statusCode, 200);
  const malformed = await deliver(app, inboundParams(MEMBER, 'HELP', { secret: SECRET, extra: { timestamp: 'yesterday' } }));
  t.equal(malformed.statusCode, 400, 'a timestamp that is not a number');
  // The timestamp is signed: moving it into the window breaks the signature.
  const old = at(26 * 3600);
  t.equal((await deliver(app, { ...old, timestamp: String(Math.floor(time.now.getTime() / 1000)) })).statusCode, 401);
  const metrics = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer test-admin-token-123456' } });
  t.match(metrics.body, /batsignal_inbound_webhooks_total\{outcome="stale_request"\} 12\b/, 'counted');
});

t.test('replay window on receipts too', async (t) => {
  const { app, time } = await setup(t);
  const old = signVonageParams(
    { messageId: '0C00000000000001', status: 'delivered', 'client-ref': '1', msisdn: '447700900001', timestamp: String(Math.floor(time.now.getTime() / 1000) - 30 * 3600) },
    SECRET,
    'md5hash',
  );
  const res = await deliver(app, old, 'form', '/webhooks/vonage/status');
  t.equal(res.statusCode, 401);
  t.equal(res.json<{ error: string }>().error, 'stale_request');
});
