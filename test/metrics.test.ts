// What operators see after a real incident: a raise by text (GET webhooks, as a Vonage account set
// to GET sends them), the broadcast through the production workers and the real Vonage SDK against
// the stand-in, signed delivery receipts, and ACKs. Then /metrics must show the expected counts, and
// the log of all of it must hold no full phone number, no alert text and no secret.
import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { loggerOptions } from '../src/logging.js';
import { afterCommit, createMetrics } from '../src/metrics/registry.js';
import { connect } from '../src/db/connect.js';
import { startWorkers } from '../src/workers.js';
import { freshDatabase } from './helpers/db.js';
import { inboundParams, simulatedPhone } from './helpers/phone.js';
import { startVonageStandin } from './helpers/vonage-standin.js';
import { outboxStates, settled } from './helpers/delivery.js';
import { codeIn } from './helpers/conversation.js';
import { sampleValue } from './helpers/prometheus.js';

const SECRET = 'metrics-signature-secret';
const ADMIN_TOKEN = 'metrics-admin-token-0123456789';
const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const OUR = '447700900999';
const SUMMARY = 'Ransomware on PACS at Northtown, spreading over SMB';
const MEMBERS = [
  { name: 'Jane Smith', phone: '+447700900001', organisation: 'Northtown Trust' },
  { name: 'Bob Jones', phone: '+447700900002', organisation: 'Southby ICB' },
  { name: 'Amir Khan', phone: '+447700900003', organisation: 'Westshire CSU' },
  { name: 'Chloe Price', phone: '+447700900004', organisation: 'Eastfield Trust' },
];

t.test('raise -> broadcast -> receipts -> ACK: /metrics counts it; the log keeps no number, text or secret', async (t) => {
  const { db } = await freshDatabase(t);
  const vonage = await startVonageStandin();
  const config = loadConfig({
    VONAGE_API_KEY: vonage.apiKey,
    VONAGE_API_SECRET: vonage.apiSecret,
    VONAGE_REST_HOST: vonage.url,
    BATSIGNAL_NUMBER: OUR,
    VONAGE_SIGNATURE_SECRET: SECRET,
    SMS_RATE_PER_SECOND: '0',
    ADMIN_TOKEN,
    METRICS_TOKEN,
  });
  const lines: string[] = [];
  const clock = () => new Date();
  const metrics = createMetrics({ db, clock });
  const deps = { config, db, clock, adminTokens: [ADMIN_TOKEN], metrics };
  const app = await buildApp(deps, loggerOptions(config, { write: (line) => void lines.push(line) }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  vonage.receipts = { url: `${base}/webhooks/vonage/status`, secret: SECRET, method: 'md5hash' };
  // The production wiring: the same Metrics object for the app and the dispatcher (as main.ts does).
  const workers = startWorkers(deps, app.log);
  t.teardown(async () => {
    await workers.stop();
    await app.close();
    await vonage.close();
  });
  await db.insertInto('members').values(MEMBERS.map((m) => ({ ...m, email: null, role: 'member' as const, forum_username: null }))).execute();

  const phones = MEMBERS.map((m, i) => simulatedPhone(app, db, m.phone, { secret: SECRET, to: OUR, format: i === 0 ? 'get' : 'form', t }));
  const [jane, ...others] = phones;

  await jane!.send('RAISE');
  await jane!.expect(/threshold|Have you detected/);
  await jane!.send('YES');
  await jane!.expect(/^Describe/);
  await jane!.send(SUMMARY);
  const prompt = await jane!.expect(/Reply CONFIRM \d{6}/);
  await jane!.send(`CONFIRM ${codeIn(prompt)}`);
  await jane!.expect(/^Alert #1 sent to 3 members/);

  for (const phone of others) {
    await phone.expect(/^BATSIGNAL #1 from Jane Smith \(Northtown Trust\)/);
    await phone.send('ACK 1');
    await phone.expect(/^Acknowledged #1/);
  }
  // Vonage delivers a webhook twice now and then; and someone forges one.
  const again = inboundParams(others[0]!.number, 'ACK 1', { secret: SECRET, to: OUR });
  t.equal((await others[0]!.post(again)).statusCode, 200);
  t.equal((await others[0]!.post(again)).statusCode, 200, 'the repeat is answered 200');
  t.equal((await others[0]!.post(inboundParams(others[0]!.number, 'RAISE', { secret: 'not-the-secret-at-all', to: OUR }))).statusCode, 401);

  // 4 replies to Jane, the alert and an ACK reply to each of the 3 others, "already recorded" once.
  const texts = 11;
  await settled(db);
  await vonage.waitFor(() => vonage.accepted().length >= texts);
  const parts = vonage.accepted().reduce((n, r) => n + r.messageIds.length, 0);
  await vonage.waitFor(() => vonage.receiptsSent.length >= parts);
  t.same(await outboxStates(db), { sent: texts });
  t.ok(vonage.receiptsSent.every((r) => r.httpStatus === 200), 'every receipt answered 200');

  t.equal((await app.inject({ url: '/metrics' })).statusCode, 401, 'no token: 401');
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401, 'wrong token: 401');
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode, 200, 'the admin token works');
  const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  t.equal(res.statusCode, 200, 'METRICS_TOKEN works');
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const m = res.body;
  const v = (name: string, labels?: Record<string, string>) => sampleValue(m, name, labels);

  t.equal(v('batsignal_inbound_webhooks_total', { outcome: 'processed' }), 8, 'RAISE, YES, summary, CONFIRM, 3 ACKs and the repeated ACK (first delivery)');
  t.equal(v('batsignal_inbound_webhooks_total', { outcome: 'duplicate' }), 1);
  t.equal(v('batsignal_inbound_webhooks_total', { outcome: 'invalid_signature' }), 1);
  t.equal(v('batsignal_inbound_webhooks_total', { outcome: 'invalid_request' }), 0);
  t.equal(v('batsignal_alerts_raised_total', { source: 'sms', exercise: 'false' }), 1);
  t.equal(v('batsignal_acknowledgements_total'), 3, 'first ACKs only: the repeat was "already"');
  t.equal(v('batsignal_outbound_sends_total', { channel: 'sms', result: 'submitted' }), texts);
  t.equal(v('batsignal_outbound_sends_total', { channel: 'sms', result: 'retried' }), 0);
  t.equal(v('batsignal_outbound_sends_total', { channel: 'sms', result: 'failed_permanent' }), 0);
  t.equal(v('batsignal_delivery_receipts_total', { status: 'delivered' }), parts, 'one receipt per part');
  t.equal(v('batsignal_status_webhooks_total', { outcome: 'recorded' }), texts, 'one recorded per text');
  t.equal(v('batsignal_status_webhooks_total', { outcome: 'superseded' }), parts - texts, 'later parts of a long text change nothing');
  t.equal(v('batsignal_outbox_depth', { channel: 'sms' }), 0);
  t.equal(v('batsignal_outbox_oldest_pending_age_seconds', { channel: 'sms' }), 0);
  t.equal(v('batsignal_database_up'), 1);
  const latency = (method: string, status: string) =>
    v('batsignal_http_request_duration_seconds_count', { method, route: '/webhooks/vonage/inbound', status_code: status });
  t.equal(latency('GET', '200'), 4, "Jane's four texts came by GET");
  t.equal(latency('POST', '200'), 5, '3 ACKs and the repeated one twice');
  t.equal(latency('POST', '401'), 1);
  t.equal(v('batsignal_http_request_duration_seconds_count', { method: 'POST', route: '/webhooks/vonage/status', status_code: '200' }), parts);
  t.notMatch(m, /route="\/webhooks\/vonage\/inbound\?/, 'routes are patterns, never raw URLs');

  // The log of all that.
  await app.close(); // flushes the last request lines
  const log = lines.join('');
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(records.length > 30, `${records.length} log lines`);
  for (const { phone } of MEMBERS) {
    const digits = phone.slice(1);
    const national = '0' + digits.slice(2);
    t.notOk(log.includes(digits), `no ${phone} in international digits`);
    t.notOk(log.includes(national), `no ${phone} in national form`);
    t.notOk(log.includes(`${national.slice(0, 5)} ${national.slice(5)}`), `no ${phone} spaced`);
  }
  t.notOk(log.includes(SUMMARY), 'no alert text');
  t.notOk(/ransomware|PACS/i.test(log), 'not even a word of it');
  t.notOk(log.includes('BATSIGNAL #1'), 'no broadcast text');
  for (const secret of [SECRET, ADMIN_TOKEN, METRICS_TOKEN, vonage.apiSecret]) t.notOk(log.includes(secret), `no secret ${secret.slice(0, 8)}...`);
  t.notOk(/[?&](sig|msisdn|text)=/.test(log), 'no query strings');
  t.notOk(/"sig":"[0-9a-f]{8}/i.test(log), 'no signatures');

  // ...and yet it says what happened, masked.
  const inbound = records.filter((r) => r.msg === 'inbound sms');
  t.equal(inbound.length, 10, 'one line per inbound webhook');
  t.ok(inbound.filter((r) => r.outcome === 'processed').every((r) => typeof r.from === 'string' && /\*+\d{3}$/.test(r.from) && typeof r.messageId === 'string'), 'sender masked to its last 3 digits, with the messageId');
  const sends = records.filter((r) => r.msg === 'send');
  t.equal(sends.length, texts, 'one line per send');
  t.equal(sends.filter((r) => r.alert === 1 && r.kind === 'alert' && r.outcome === 'submitted').length, 3, 'broadcast sends carry the alert number and outbox id');
  t.ok(sends.every((r) => typeof r.outboxId === 'string'));
  t.equal(records.filter((r) => r.msg === 'delivery receipt').length, parts, 'one line per receipt');
  // At info a webhook is its one line above: Fastify's request lines are for debug (test/logs.test.ts).
  const webhookRequests = new Set(records.filter((r) => r.msg === 'inbound sms' || r.msg === 'delivery receipt').map((r) => r.reqId));
  t.same(records.filter((r) => webhookRequests.has(r.reqId) && (r.msg === 'incoming request' || r.msg === 'request completed')), [], 'no request lines for webhooks at info: one line per webhook');
});

t.test('PostgreSQL unreachable: /metrics still answers, database_up 0, no outbox gauges', async (t) => {
  const db = connect('postgres://nobody@127.0.0.1:1/none', 1);
  t.teardown(() => db.destroy());
  const metrics = createMetrics({ db, clock: () => new Date() });
  metrics.inbound('processed');
  const text = await metrics.render();
  t.equal(sampleValue(text, 'batsignal_database_up'), 0);
  t.equal(sampleValue(text, 'batsignal_outbox_depth', { channel: 'sms' }), undefined, 'no stale depth reported');
  t.equal(sampleValue(text, 'batsignal_inbound_webhooks_total', { outcome: 'processed' }), 1, 'counters still there');
});

t.test('afterCommit: counted only when the transaction has committed', async (t) => {
  const { db } = await freshDatabase(t);
  const metrics = createMetrics({ db, clock: () => new Date() });
  const inTx = afterCommit(metrics);
  inTx.alertRaised('sms', true);
  inTx.acknowledged();
  t.equal(sampleValue(await metrics.render(), 'batsignal_acknowledgements_total'), 0, 'nothing before commit');
  inTx.commit();
  const text = await metrics.render();
  t.equal(sampleValue(text, 'batsignal_acknowledgements_total'), 1);
  t.equal(sampleValue(text, 'batsignal_alerts_raised_total', { source: 'sms', exercise: 'true' }), 1);
  t.equal(sampleValue(text, 'batsignal_outbox_depth', { channel: 'email' }), 0, 'every channel reported, empty ones at 0');
  inTx.commit();
  t.equal(sampleValue(await metrics.render(), 'batsignal_acknowledgements_total'), 1, 'a second commit() counts nothing again');
});
