// The phone simulator: outbound texts land in per-number inboxes; texts typed into a simulated
// phone go through the real inbound webhook and conversation; the page and API exist only
// without Vonage and only for holders of the admin token.
import t, { type Test } from 'tap';
import { freshDatabase } from './helpers/db.js';
import { buildApp } from '../src/app.js';
import type { AppDeps } from '../src/deps.js';
import { loadConfig } from '../src/config.js';
import { createPhoneSimulator, type PhoneSimulator } from '../src/providers/simulator/simulator.js';
import type { Database } from '../src/db/connect.js';
import { exerciseModeOn } from '../src/alerts/exercise.js';
import { withWebhookSecret, WEBHOOK_SECRET_FILE } from '../src/runtime.js';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const TOKEN = 'simulator-test-admin-token';
const A = '+447700900101';
const B = '+447700900102';

async function setup(t: Test, env: Record<string, string> = {}, withSimulator = true) {
  const { db } = await freshDatabase(t);
  // The simulator signs what it injects (main.ts gives it a secret kept in DATA_DIR: see the test below).
  const config = loadConfig({ ADMIN_TOKEN: TOKEN, VONAGE_SIGNATURE_SECRET: 'simulator-test-webhook-secret', ...env });
  const simulator = withSimulator ? createPhoneSimulator(db) : undefined;
  const deps: AppDeps = { config, db, clock: () => new Date(), adminTokens: [TOKEN], simulator };
  const app = await buildApp(deps);
  t.teardown(() => app.close());
  await db
    .insertInto('members')
    .values([
      { name: 'Ada Admin', phone: A, organisation: 'Northtown Trust', role: 'admin' },
      { name: 'Ben Member', phone: B, organisation: 'Southtown ICB' },
    ])
    .execute();
  return { db, app, simulator, config };
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** What the dispatcher does for SMS, in miniature: hand each pending text to the sender. */
async function deliverPending(db: Database, sim: PhoneSimulator): Promise<number> {
  const rows = await db.selectFrom('outbox').selectAll().where('channel', '=', 'sms').where('state', '=', 'pending').orderBy('id').execute();
  for (const r of rows) {
    const out = await sim.send({ id: r.id, to: r.recipient.replace(/^\+/, ''), from: '447700900000', text: r.body });
    await db.updateTable('outbox').set({ state: out.ok ? 'sent' : 'failed', provider_id: out.ok ? (out.providerId ?? null) : null }).where('id', '=', r.id).execute();
  }
  return rows.length;
}

t.test('the simulator sender keeps each number its own inbox, once per outbox row', async (t) => {
  const { db } = await freshDatabase(t);
  const sim = createPhoneSimulator(db);
  t.equal(sim.name, 'simulator');
  const first = await sim.send({ id: '1', to: '447700900101', from: '447700900000', text: 'to A' });
  await sim.send({ id: '2', to: '447700900102', from: '447700900000', text: 'to B' });
  const again = await sim.send({ id: '1', to: '447700900101', from: '447700900000', text: 'to A' });
  t.ok(first.ok && again.ok, 'sends succeed');
  t.same(again.ok && again.providerId, first.ok && first.providerId, 'a resend of the same row is the same message');
  const a = await sim.messages([A], '0', 10);
  t.same(a.map((m) => [m.direction, m.text]), [['out', 'to A']], "A's inbox holds A's text once");
  const b = await sim.messages([B], '0', 10);
  t.same(b.map((m) => m.text), ['to B']);
  t.same((await sim.messages([A, B], a[0]!.id, 10)).map((m) => m.text), ['to B'], 'after= pages on');
  const bad = await sim.send({ id: '3', to: 'not-a-number', from: '447700900000', text: 'x' });
  t.same(bad, { ok: false, retry: false, error: 'simulator: "not-a-number" is not a phone number' });

  const heard: string[] = [];
  sim.onDelivered((msg, providerId) => heard.push(`${msg.id}:${providerId}`));
  const r = await sim.send({ id: '4', to: '447700900102', from: '447700900000', text: 'hello' });
  t.same(heard, [`4:${r.ok && r.providerId}`], 'the delivery listener hears each send');
});

t.test('a member texts HELP from the simulator and the reply lands in its inbox', async (t) => {
  const { app, db, simulator } = await setup(t);
  const res = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: '07700 900101', text: 'HELP' } });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  t.equal(body.delivered, true);
  t.equal(body.message.from, 'phone');
  t.equal(body.message.phone, A);

  const inbound = await db.selectFrom('inbound_messages').selectAll().execute();
  t.equal(inbound.length, 1, 'the text went through the inbound webhook');
  t.equal(inbound[0]!.msisdn, '447700900101');
  t.equal(inbound[0]!.outcome, 'processed');
  t.match(inbound[0]!.message_id, /^SIM-/);

  t.equal(await deliverPending(db, simulator!), 1, 'the conversation queued one reply');
  const page = await app.inject({ method: 'GET', url: `/api/simulator/messages?phones=${encodeURIComponent(A)},${encodeURIComponent(B)}`, headers: auth });
  t.equal(page.statusCode, 200, page.body);
  const msgs = page.json().messages as { from: string; text: string; phone: string }[];
  t.same(msgs.map((m) => m.from), ['phone', 'batsignal'], 'the text, then the reply');
  t.equal(msgs[0]!.text, 'HELP');
  t.match(msgs[1]!.text, /ACK/i, 'the reply lists the commands');
  t.ok(msgs.every((m) => m.phone === A), "only A's phone has texts");
});

t.test('with signature secrets, the simulator signs its webhooks like Vonage', async (t) => {
  const { app, db } = await setup(t, { VONAGE_SIGNATURE_SECRET: 'simulator-signing-secret', VONAGE_SIGNATURE_METHOD: 'sha256' });
  const res = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: A, text: 'HELP' } });
  t.equal(res.json().delivered, true, res.body);
  const outbox = await db.selectFrom('outbox').select('body').execute();
  t.equal(outbox.length, 1, 'the signed text reached the conversation');
});

t.test('webhooks are never open: with no VONAGE_SIGNATURE_SECRET the simulator signs with a secret kept in DATA_DIR', async (t) => {
  const { db } = await freshDatabase(t);
  const dataDir = t.testdir({});
  const given = loadConfig({ ADMIN_TOKEN: TOKEN, DATA_DIR: dataDir });
  t.same(given.signatureSecrets, [], 'the default start has no secret of its own');
  await t.rejects(
    buildApp({ config: given, db, clock: () => new Date(), adminTokens: [TOKEN], simulator: createPhoneSimulator(db) }),
    /needs a webhook signature secret/,
    'a simulator that would inject unsigned texts is refused at build time',
  );

  const logs: string[] = [];
  const config = await withWebhookSecret(given, (m) => logs.push(m));
  const file = path.join(dataDir, WEBHOOK_SECRET_FILE);
  const kept = readFileSync(file, 'utf8').trim();
  t.same(config.signatureSecrets, [kept], 'generated at the first start and kept in DATA_DIR');
  t.ok(kept.length >= 32, 'a long random secret');
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
  t.same((await withWebhookSecret(given, (m) => logs.push(m))).signatureSecrets, [kept], 'the next start reads the same one');
  t.same(logs, []);
  t.same((await withWebhookSecret(loadConfig({ DATA_DIR: dataDir, VONAGE_SIGNATURE_SECRET: 'operator-secret' }), () => {})).signatureSecrets, ['operator-secret'], "the operator's secret wins");

  const app = await buildApp({ config, db, clock: () => new Date(), adminTokens: [TOKEN], simulator: createPhoneSimulator(db) });
  t.teardown(() => app.close());
  await db.insertInto('members').values({ name: 'Ada Admin', phone: A, organisation: 'Northtown Trust', role: 'admin' }).execute();
  const res = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: A, text: 'HELP' } });
  t.equal(res.json().delivered, true, res.body);
  t.equal((await db.selectFrom('outbox').select('id').execute()).length, 1, 'the signed text reached the conversation');

  // From outside: a forged inbound text and a forged receipt, unsigned, are refused.
  const inbound = await app.inject({ method: 'POST', url: '/webhooks/vonage/inbound', payload: { msisdn: '447700900101', to: '447700900000', messageId: 'FORGED1', text: 'RAISE', type: 'text' } });
  t.equal(inbound.statusCode, 401, 'forged inbound text');
  const row = await db.selectFrom('outbox').select(['id', 'state']).executeTakeFirstOrThrow();
  const forged = await app.inject({ method: 'POST', url: '/webhooks/vonage/status', payload: { messageId: 'FORGED2', status: 'delivered', 'client-ref': row.id, msisdn: '447700900101' } });
  t.equal(forged.statusCode, 401, 'forged receipt');
  const after = await db.selectFrom('outbox').select(['state', 'receipt_status']).where('id', '=', row.id).executeTakeFirstOrThrow();
  t.same(after, { state: row.state, receipt_status: null }, 'the forged receipt changed nothing');
});

t.test('a long text arrives as a multipart text and is put back together', async (t) => {
  const { app, db } = await setup(t);
  const text = 'Ransomware on a ward PC at Northtown. '.repeat(8).trim();
  const res = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: A, text } });
  t.equal(res.json().parts, 2, res.body);
  const rows = await db.selectFrom('inbound_messages').selectAll().orderBy('concat_part').execute();
  t.same(rows.map((r) => [r.concat_part, r.concat_total, r.outcome]), [[1, 2, 'assembled'], [2, 2, 'assembled']]);
  t.equal(rows.map((r) => r.text).join(''), text);
});

t.test('the page and API need the admin token; the page is a locked-down shell', async (t) => {
  const { app } = await setup(t);
  for (const [method, url] of [['GET', '/api/simulator/phones'], ['GET', `/api/simulator/messages?phones=${encodeURIComponent(A)}`], ['POST', '/api/simulator/send'], ['POST', '/api/exercise']] as const) {
    const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: { phone: A, text: 'HELP', on: true } } : {}) });
    t.equal(res.statusCode, 401, `${method} ${url} without a token`);
    const wrong = await app.inject({ method, url, headers: { authorization: 'Bearer not-the-token-at-all' } });
    t.equal(wrong.statusCode, 401, `${method} ${url} with a wrong token`);
  }
  const page = await app.inject({ method: 'GET', url: '/simulator' });
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Phone simulator — no real texts are sent');
  t.notMatch(page.body, TOKEN, 'the shell carries no secret');
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, "default-src 'none'");
  t.match(csp, "script-src 'self'");
  t.notMatch(csp, 'unsafe-inline');
  t.equal(csp, String((await app.inject({ method: 'GET', url: '/dashboard' })).headers['content-security-policy']), 'one CSP for every page');
  t.notMatch(page.body, /<script>|style="/, 'nothing inline');
  const css = page.body.match(/href="([^"]*nhsuk[^"]*\.css)"/)?.[1];
  t.ok(css, 'links the NHS.UK stylesheet');
  const sheet = await app.inject({ method: 'GET', url: css! });
  t.equal(sheet.statusCode, 200);
  t.match(sheet.body, '.nhsuk-header');
  const script = await app.inject({ method: 'GET', url: page.body.match(/<script type="module" src="([^"]+)"/)![1]! });
  t.equal(script.statusCode, 200);
  t.match(String(script.headers['content-type']), 'javascript');
  t.notMatch(script.body, 'innerHTML');

  const phones = await app.inject({ method: 'GET', url: '/api/simulator/phones', headers: auth });
  t.equal(phones.statusCode, 200);
  t.same(phones.json().phones.map((p: { name: string; role: string }) => [p.name, p.role]), [['Ada Admin', 'admin'], ['Ben Member', 'member']], 'admins first');
  t.equal(phones.headers['cache-control'], 'no-store');
});

t.test('bad requests are refused with a plain message', async (t) => {
  const { app } = await setup(t);
  const badPhone = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: 'call me', text: 'HELP' } });
  t.equal(badPhone.statusCode, 400);
  t.match(badPhone.json().message, 'not part of a phone number');
  const empty = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: A, text: '' } });
  t.equal(empty.statusCode, 400);
  const extra = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: A, text: 'HELP', msisdn: '1' } });
  t.equal(extra.statusCode, 400, 'no extra fields');
  const phones = Array.from({ length: 13 }, (_, i) => `+4477009002${String(i).padStart(2, '0')}`).join(',');
  const many = await app.inject({ method: 'GET', url: `/api/simulator/messages?phones=${encodeURIComponent(phones)}`, headers: auth });
  t.equal(many.statusCode, 400);
  const junk = await app.inject({ method: 'GET', url: '/api/simulator/messages?phones=DROP%20TABLE', headers: auth });
  t.equal(junk.statusCode, 400);
});

t.test('with Vonage configured there is no simulator: every path is a 404', async (t) => {
  const env = { VONAGE_API_KEY: 'key', VONAGE_API_SECRET: 'secret', BATSIGNAL_NUMBER: '447700900000', VONAGE_SIGNATURE_SECRET: 'signing-secret' };
  const { app } = await setup(t, env, false);
  for (const url of ['/simulator', '/simulator/simulator.js', '/api/simulator/phones']) {
    const res = await app.inject({ method: 'GET', url, headers: auth });
    t.equal(res.statusCode, 404, url);
  }
  const send = await app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: A, text: 'RAISE' } });
  t.equal(send.statusCode, 404);
});

t.test('the exercise switch is kept in settings', async (t) => {
  const { app, db } = await setup(t);
  t.equal(await exerciseModeOn(db), false, 'off by default');
  const on = await app.inject({ method: 'POST', url: '/api/exercise', headers: auth, payload: { on: true } });
  t.equal(on.statusCode, 200, on.body);
  t.equal(on.json().on, true);
  t.equal(await exerciseModeOn(db), true);
  const read = await app.inject({ method: 'GET', url: '/api/exercise', headers: auth });
  t.equal(read.json().on, true);
  const phones = await app.inject({ method: 'GET', url: '/api/simulator/phones', headers: auth });
  t.equal(phones.json().exercise, true, 'the simulator page shows it');
  const bad = await app.inject({ method: 'POST', url: '/api/exercise', headers: auth, payload: { on: 'yes' } });
  t.equal(bad.statusCode, 400);
  await app.inject({ method: 'POST', url: '/api/exercise', headers: auth, payload: { on: false } });
  t.equal(await exerciseModeOn(db), false, 'switched off again');
});

t.test('with the exercise switch on, a plain RAISE becomes an exercise from the first reply', async (t) => {
  const { app, db } = await setup(t);
  await app.inject({ method: 'POST', url: '/api/exercise', headers: auth, payload: { on: true } });
  const text = (body: string) => app.inject({ method: 'POST', url: '/api/simulator/send', headers: auth, payload: { phone: A, text: body } });
  const lastReply = async () =>
    (await db.selectFrom('outbox').select('body').where('recipient', '=', A).orderBy('id', 'desc').executeTakeFirstOrThrow()).body;
  await text('RAISE');
  t.match(await lastReply(), /^EXERCISE raise\./, 'the threshold question says EXERCISE');
  await text('YES');
  await text('Ransomware on ward PCs at Northtown, look for .locked files');
  const confirm = await lastReply();
  t.match(confirm, /^EXERCISE alert to 1 member/);
  const code = /CONFIRM (\d+)/.exec(confirm)?.[1];
  await text(`CONFIRM ${code}`);
  const alert = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  t.equal(alert.exercise, true, 'the alert is an exercise');
  const broadcast = await db.selectFrom('outbox').select('body').where('recipient', '=', B).executeTakeFirstOrThrow();
  t.match(broadcast.body, /^EXERCISE BATSIGNAL #1 .* THIS IS AN EXERCISE\.$/, "B's text says EXERCISE at both ends");
  t.match(await lastReply(), /^EXERCISE Alert #1 sent to 1 member/, "the raiser's confirmation says EXERCISE too");
});

t.test('texts are split as a handset splits them', async (t) => {
  const { splitText, inboundRequests } = await import('../src/web/simulator-inbound.js');
  t.same(splitText('HELP'), [{ text: 'HELP', type: 'text' }]);
  t.equal(splitText('a'.repeat(160)).length, 1, '160 GSM-7 characters fit one text');
  t.same(splitText('a'.repeat(161)).map((p) => p.text.length), [153, 8], 'then 153 per part');
  t.same(splitText('{'.repeat(80)).length, 1, 'extension characters count two: 80 fit');
  t.same(splitText('{'.repeat(81)).map((p) => p.text.length), [76, 5], 'and are never cut');
  t.same(splitText('é'.repeat(10))[0]!.type, 'text', 'é is GSM-7');
  t.same(splitText('ç')[0]!.type, 'unicode', 'ç is not');
  const emoji = '🚨'.repeat(40); // 80 UTF-16 units
  const parts = splitText(emoji);
  t.same(parts.map((p) => p.text.length), [66, 14], 'UCS-2 parts of up to 67 units, no surrogate pair cut');
  t.equal(parts.map((p) => p.text).join(''), emoji);

  let n = 0;
  const reqs = inboundRequests({
    msisdn: '447700900101', to: '447700900000', text: 'x'.repeat(200), now: new Date('2026-11-23T10:11:12Z'),
    newMessageId: () => `SIM-${++n}`, concatRef: '42', signature: undefined,
  });
  t.same(reqs[1], {
    msisdn: '447700900101', to: '447700900000', messageId: 'SIM-2', text: 'x'.repeat(47), type: 'text', keyword: 'X'.repeat(200),
    'message-timestamp': '2026-11-23 10:11:12', timestamp: '1795428672', concat: 'true', 'concat-ref': '42', 'concat-part': '2', 'concat-total': '2',
  }, 'Vonage inbound fields, part 2 of 2');
});
