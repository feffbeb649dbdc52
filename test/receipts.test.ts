// Delivery receipts through the real status webhook: signed like Vonage signs them, applied to the
// outbox row by client-ref or message id; duplicates, out-of-order, unknown ids and forgeries.
import t, { type Test } from 'tap';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { buildApp } from '../src/app.js';
import type { AppDeps } from '../src/deps.js';
import { loadConfig } from '../src/config.js';
import { signVonageParams, type WebhookParams } from '../src/providers/vonage-sms/signature.js';
import { claimDue, startSending } from '../src/outbox/claim.js';
import { recordOutcomes } from '../src/outbox/complete.js';
import { startVonageStandin } from './helpers/vonage-standin.js';
import { startOutbox } from '../src/outbox/run.js';
import { FAST_BACKOFF, outboxStates, quietLog, settled, standinSms } from './helpers/delivery.js';

const SECRET = 'receipt-signature-secret';
const TOKEN = 'receipts-test-admin-token-0123';
const URL_ = '/webhooks/vonage/status';

async function setup(t: Test, members = 3, env: Record<string, string> = { VONAGE_SIGNATURE_SECRET: SECRET, VONAGE_SIGNATURE_METHOD: 'sha256' }) {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ ADMIN_TOKEN: TOKEN, ...env });
  const deps: AppDeps = { config, db, clock: () => new Date(), adminTokens: [TOKEN] };
  const app = await buildApp(deps);
  t.teardown(() => app.close());
  await addMembers(db, memberSpecs(members));
  await raiseAlert(db, new Date());
  // Sent, as the dispatcher records it.
  const rows = await claimDue(db, 'sms', { limit: 100, leaseMs: 30_000 }, new Date());
  await recordOutcomes(db, rows.map((r) => ({ id: r.id, attempts: r.attempts, kind: 'sent' as const, providerId: `0C0000000000${r.id.padStart(4, '0')}`, note: null })), new Date());
  return { db, app, config, rows: rows.sort((a, b) => Number(a.id) - Number(b.id)) };
}

function receipt(row: { id: string; recipient: string }, fields: Partial<WebhookParams> = {}, secret: string | null = SECRET): WebhookParams {
  const p: WebhookParams = {
    msisdn: row.recipient.slice(1), to: '447700900999', 'network-code': '23410', messageId: `0C0000000000${row.id.padStart(4, '0')}`,
    price: '0.03330000', status: 'delivered', scts: '2611231405', 'err-code': '0', 'api-key': 'abcd1234', 'client-ref': row.id,
    'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' '), timestamp: String(Math.floor(Date.now() / 1000)), nonce: `n-${Math.random()}`, ...fields,
  };
  return secret ? signVonageParams(p, secret, 'sha256') : p;
}

const form = (p: WebhookParams) => ({ method: 'POST' as const, url: URL_, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(p).toString() });

t.test('delivered and failed receipts, by POST form, JSON and GET', async (t) => {
  const { db, app, rows } = await setup(t);
  const [a, b, c] = rows;
  t.equal((await app.inject(form(receipt(a!)))).statusCode, 200, 'form');
  t.equal((await app.inject({ method: 'POST', url: URL_, payload: receipt(b!, { status: 'failed', 'err-code': '3' }) })).statusCode, 200, 'JSON');
  t.equal((await app.inject({ method: 'GET', url: `${URL_}?${new URLSearchParams(receipt(c!, { status: 'expired', 'err-code': '2' }))}` })).statusCode, 200, 'GET');
  const got = await db.selectFrom('outbox').select(['id', 'state', 'receipt_status', 'receipt_error']).orderBy('id').execute();
  t.same(got.map((r) => [r.state, r.receipt_status, r.receipt_error]), [
    ['sent', 'delivered', null],
    ['sent', 'failed', '3: absent subscriber (permanent)'],
    ['sent', 'expired', '2: absent subscriber (temporary)'],
  ]);
  t.ok((await db.selectFrom('outbox').select('receipt_at').where('id', '=', a!.id).executeTakeFirstOrThrow()).receipt_at);
});

t.test('duplicates and out-of-order receipts never move delivered back', async (t) => {
  const { db, app, rows } = await setup(t);
  const [a, b, c] = rows;
  const state = async (id: string) => (db.selectFrom('outbox').select(['receipt_status', 'receipt_error']).where('id', '=', id).executeTakeFirstOrThrow());
  // a: delivered twice, then a late 'accepted' and a late 'failed'
  for (const p of [receipt(a!), receipt(a!), receipt(a!, { status: 'accepted' }), receipt(a!, { status: 'failed', 'err-code': '8' })]) {
    t.equal((await app.inject(form(p))).statusCode, 200);
  }
  t.same(await state(a!.id), { receipt_status: 'delivered', receipt_error: null }, 'delivered stays delivered');
  // b: buffered arrives after failed: the final status stays
  await app.inject(form(receipt(b!, { status: 'failed', 'err-code': '11' })));
  await app.inject(form(receipt(b!, { status: 'buffered' })));
  t.same(await state(b!.id), { receipt_status: 'failed', receipt_error: '11: unroutable' }, 'an interim status does not replace a final one');
  // c: accepted -> buffered -> delivered (in order), interim statuses replace each other
  await app.inject(form(receipt(c!, { status: 'accepted' })));
  t.equal((await state(c!.id)).receipt_status, 'accepted');
  await app.inject(form(receipt(c!, { status: 'buffered' })));
  t.equal((await state(c!.id)).receipt_status, 'buffered');
  await app.inject(form(receipt(c!)));
  t.equal((await state(c!.id)).receipt_status, 'delivered');
});

t.test('a multipart text: one receipt per part, matched on the id recorded (the first part); by message id when there is no client-ref', async (t) => {
  const { db, app, rows } = await setup(t, 2);
  const [a, b] = rows;
  const status = async () => (await db.selectFrom('outbox').select('receipt_status').where('id', '=', a!.id).executeTakeFirstOrThrow()).receipt_status;
  t.equal((await app.inject(form(receipt(a!, { status: 'accepted' })))).statusCode, 200, 'part 1 (the recorded id)');
  t.equal(await status(), 'accepted');
  t.equal((await app.inject(form(receipt(a!, { messageId: '0D00000000000002' })))).statusCode, 200, 'part 2 (another id)');
  t.equal(await status(), 'accepted', "another part's id does not move the row");
  t.equal((await app.inject(form(receipt(a!)))).statusCode, 200, 'part 1 delivered');
  t.equal(await status(), 'delivered');
  const { 'client-ref': _drop, ...noRef } = receipt(b!, {}, null);
  t.equal((await app.inject(form(signVonageParams(noRef, SECRET, 'sha256')))).statusCode, 200);
  t.equal((await db.selectFrom('outbox').select('receipt_status').where('id', '=', b!.id).executeTakeFirstOrThrow()).receipt_status, 'delivered', 'matched by messageId');
});

t.test('unknown ids are acknowledged and change nothing', async (t) => {
  const { db, app, rows } = await setup(t, 1);
  const before = await db.selectFrom('outbox').selectAll().execute();
  for (const p of [
    receipt({ id: '999999', recipient: rows[0]!.recipient }),
    receipt(rows[0]!, { msisdn: '447400123456' }), // right id, other number: not ours to change
    receipt({ id: 'other-app-ref', recipient: rows[0]!.recipient }, { messageId: 'FFFF000000000000' }),
  ]) {
    const res = await app.inject(form(p));
    t.equal(res.statusCode, 200, res.body);
  }
  t.same(await db.selectFrom('outbox').selectAll().execute(), before, 'nothing changed');
});

t.test('receipts cannot invent a delivery: a message id other than the one recorded changes nothing and is counted', async (t) => {
  const { db, app, rows } = await setup(t, 2);
  const [a, b] = rows;
  // b's send failed and waits for a retry: a receipt for it must not turn it into 'sent'.
  await db.updateTable('outbox').set({ state: 'failed', provider_id: null, started_at: null, receipt_status: null, sent_at: null }).where('id', '=', b!.id).execute();
  const before = await db.selectFrom('outbox').selectAll().orderBy('id').execute();
  for (const p of [
    receipt(a!, { messageId: 'FFFF000000000001' }), // right client-ref, someone else's message id
    receipt(b!, { messageId: 'FFFF000000000002' }), // never started, no id recorded
    receipt(b!), // the id a sequential guess would give
    (({ messageId: _m, ...rest }) => signVonageParams(rest, SECRET, 'sha256'))(receipt(a!, {}, null)), // client-ref only, no message id
  ]) {
    const res = await app.inject(form(p));
    t.equal(res.statusCode, 200, 'acknowledged (a retry would not help)');
  }
  t.same(await db.selectFrom('outbox').selectAll().orderBy('id').execute(), before, 'nothing changed');
  const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  t.match(metrics.body, /batsignal_status_webhooks_total\{outcome="mismatched_message"\} 4\b/, 'counted as mismatched');
  t.match(metrics.body, /batsignal_status_webhooks_total\{outcome="recorded"\} 0\b/);
});

t.test('forged, missing and malformed receipts are refused and store nothing', async (t) => {
  const { db, app, rows } = await setup(t, 1);
  const row = rows[0]!;
  const before = await db.selectFrom('outbox').selectAll().execute();
  const forged = receipt(row, {}, 'not-the-secret-at-all');
  t.equal((await app.inject(form(forged))).statusCode, 401, 'wrong secret');
  t.equal((await app.inject(form(receipt(row, {}, null)))).statusCode, 401, 'unsigned');
  const tampered = { ...receipt(row, { status: 'failed', 'err-code': '3' }), status: 'delivered' };
  t.equal((await app.inject(form(tampered))).statusCode, 401, 'signed fields changed afterwards');
  t.equal((await app.inject({ method: 'GET', url: `${URL_}?status=delivered&status=failed` })).statusCode, 400, 'repeated key');
  t.equal((await app.inject({ method: 'POST', url: URL_, payload: { ...receipt(row), price: 0.03 } })).statusCode, 400, 'a number where a string belongs');
  t.equal((await app.inject(form(receipt(row, { status: 'teleported' })))).statusCode, 400, 'unknown status');
  t.equal((await app.inject(form(receipt(row, { 'err-code': 'x' })))).statusCode, 400, 'err-code not a number');
  t.same(await db.selectFrom('outbox').selectAll().execute(), before, 'nothing stored');
});

t.test('never open: with no signature secret a receipt is refused unless VONAGE_ALLOW_UNSIGNED is set', async (t) => {
  const closed = await setup(t, 1, {});
  const res = await closed.app.inject(form(receipt(closed.rows[0]!, {}, null)));
  t.equal(res.statusCode, 401, 'a forged unsigned receipt');
  t.equal(res.json().error, 'invalid_signature');
  t.equal((await closed.db.selectFrom('outbox').select('receipt_status').executeTakeFirstOrThrow()).receipt_status, null, 'nothing recorded');

  const { db, app, rows } = await setup(t, 1, { VONAGE_ALLOW_UNSIGNED: 'true' });
  t.equal((await app.inject(form(receipt(rows[0]!, {}, null)))).statusCode, 200);
  t.equal((await db.selectFrom('outbox').select('receipt_status').executeTakeFirstOrThrow()).receipt_status, 'delivered');
});

t.test('a receipt for a row taken back after a crash marks it sent: it is not sent again', async (t) => {
  const { db, app } = await setup(t, 0);
  await addMembers(db, memberSpecs(2, 10));
  const n = await raiseAlert(db, new Date());
  const [x, y] = await claimDue(db, 'sms', { limit: 10, leaseMs: 60_000 }, new Date());
  // x's send started (Vonage took it) and the process died before recording Vonage's id; y was claimed, never started.
  t.equal((await startSending(db, [x!], 60_000, new Date())).length, 1, 'x started');
  await db.updateTable('outbox').set({ state: 'pending', lease_until: null }).where('alert_number', '=', n).execute();
  t.equal((await app.inject(form(receipt(x!, { messageId: '0E00000000000001' })))).statusCode, 200);
  t.equal((await app.inject(form(receipt(y!, { messageId: '0E00000000000002' })))).statusCode, 200);
  const after = await db.selectFrom('outbox').select(['id', 'state', 'receipt_status', 'provider_id']).where('alert_number', '=', n).orderBy('id').execute();
  t.same(after, [
    { id: x!.id, state: 'sent', receipt_status: 'delivered', provider_id: '0E00000000000001' },
    { id: y!.id, state: 'pending', receipt_status: null, provider_id: null },
  ], 'the started row takes the receipt and records its id; the unstarted one cannot have been sent: unchanged');
});

t.test('end to end: the stand-in takes some texts but its answers are lost; signed receipts close them, nobody gets two', async (t) => {
  const { db, app } = await setup(t, 0);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const vonage = await startVonageStandin({
    faults: { acceptThenHangFraction: 0.15, throttleFraction: 0.1 },
    receipts: { url: base + URL_, secret: SECRET, method: 'sha256', delayMs: 50 },
    seed: 11,
  });
  t.teardown(() => vonage.close());
  await addMembers(db, memberSpecs(150, 100));
  await raiseAlert(db, new Date());
  // Timeouts wait 3 s for a receipt (50 ms away) before a retry would be considered. The client
  // gives up after 2 s: with 300 ms, answers merely slowed by a loaded machine (the full suite on
  // 2 cores) timed out too, and their receipts, slowed alike, came after the grace: texts sent twice.
  const outbox = startOutbox(db, quietLog, [{ sender: standinSms(vonage, { timeoutMs: 2000 }), ratePerSecond: 0, backoff: FAST_BACKOFF, receiptGraceMs: 3000, pollMs: 20 }]);
  t.teardown(() => outbox.stop());
  await settled(db, 30_000);
  t.ok(vonage.requests.some((r) => r.outcome === 'accepted-hang'), `${vonage.requests.filter((r) => r.outcome === 'accepted-hang').length} answers lost after acceptance`);
  await vonage.waitFor(() => vonage.receiptsSent.length >= 150);
  t.same(await outboxStates(db), { sent: 150 });
  t.equal(vonage.accepted().length, 150, 'each text accepted once');
  t.equal(vonage.duplicates(), 0, 'no duplicates');
  t.ok(vonage.receiptsSent.every((r) => r.httpStatus === 200), 'every signed receipt accepted');
  const delivered = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('receipt_status', '=', 'delivered').executeTakeFirstOrThrow();
  t.equal(Number(delivered.n), 150);
});
