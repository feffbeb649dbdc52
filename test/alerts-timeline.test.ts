// GET /api/alerts/:n/timeline: the dashboard chart's data, cumulative counts per time bucket from
// deliveries, outbox rows and acknowledgements; organisations covered at their first ACK.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, ackBySql, bearer, markSent, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { timelineWindow, MAX_BUCKETS } from '../src/alerts/timeline.js';

const T0 = new Date('2026-11-23T09:00:00Z');
const at = (sec: number) => new Date(T0.getTime() + sec * 1000);
const s0 = T0.getTime() / 1000;

t.test('timelineWindow: round buckets, at most 60, at least a minute shown', async (t) => {
  t.same(timelineWindow(1000, 1000), { start: 1000, bucketSeconds: 5, buckets: 12 }, 'a new alert: one minute in 5 s buckets');
  t.same(timelineWindow(1000, 1000 + 600), { start: 1000, bucketSeconds: 10, buckets: 60 });
  t.same(timelineWindow(1000, 1000 + 601), { start: 1000, bucketSeconds: 15, buckets: 41 });
  t.same(timelineWindow(0, 3 * 3600), { start: 0, bucketSeconds: 300, buckets: 36 });
  t.same(timelineWindow(0, 90 * 86400), { start: 0, bucketSeconds: 2 * 86400, buckets: 45 }, 'past a day: whole days');
  for (const span of [1, 59, 61, 299, 3601, 86399, 86401, 10 * 86400 + 7]) {
    const w = timelineWindow(0, span);
    t.ok(w.buckets <= MAX_BUCKETS && w.buckets * w.bucketSeconds >= Math.max(60, span), `span ${span}: ${w.buckets} x ${w.bucketSeconds} s covers it`);
  }
});

t.test('GET /api/alerts/:n/timeline', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(6));
  const [m0, m1, m2, m3, m4, m5] = ids as [number, number, number, number, number, number];
  const n = await raiseAlert(db, T0);
  // Sent at 20 s (m0..m3), delivered receipts at 20 s for m0, m1; m2's receipt says failed; m3 no receipt.
  await markSent(db, n, at(20), { memberIds: [m0, m1], receipt: 'delivered' });
  await markSent(db, n, at(20), { memberIds: [m2], receipt: 'failed', error: 'absent subscriber' });
  await markSent(db, n, at(20), { memberIds: [m3] });
  await sql`UPDATE outbox SET receipt_at = ${at(100)} WHERE id = (SELECT sms_outbox_id FROM deliveries WHERE alert_number = ${n} AND member_id = ${m1})`.execute(db);
  await ackBySql(db, n, m0, at(30));
  await ackBySql(db, n, m4, at(250)); // an ACK before any receipt counts
  const app = await adminApp(db, () => at(290));
  t.teardown(() => app.close());

  const none = await app.inject({ url: `/api/alerts/${n}/timeline` });
  t.equal(none.statusCode, 401, 'needs the admin token');
  t.notMatch(none.body, /sent|acknowledged/);

  const res = await app.inject({ url: `/api/alerts/${n}/timeline`, headers: bearer });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  const b = res.json();
  t.equal(b.alert, n);
  t.equal(b.recipients, 6);
  t.equal(b.organisations, null, 'no directory: no organisations');
  t.equal(b.covered, null);
  // Open alert, 290 s so far: 5 s buckets (58 of them), from creation.
  t.equal(b.bucketSeconds, 5);
  t.equal(b.t.length, 59, 'creation then 58 bucket ends');
  t.equal(b.t[0], s0);
  t.equal(b.t[1], s0 + 5);
  t.equal(b.t.at(-1), s0 + 290);
  const valueAt = (series: number[], sec: number) => series[b.t.indexOf(s0 + sec)];
  t.equal(valueAt(b.sent, 20), 0, 'nothing sent before 20 s');
  t.equal(valueAt(b.sent, 25), 4, 'four texts sent by 25 s');
  t.equal(valueAt(b.delivered, 25), 1, 'one delivered at 20 s');
  t.equal(valueAt(b.delivered, 100), 1, 'the second receipt lands at 100 s');
  t.equal(valueAt(b.delivered, 105), 2);
  t.equal(valueAt(b.failed, 25), 1);
  t.equal(valueAt(b.acknowledged, 30), 0);
  t.equal(valueAt(b.acknowledged, 35), 1);
  t.equal(valueAt(b.acknowledged, 250), 1);
  t.equal(valueAt(b.acknowledged, 255), 2);
  t.same([b.sent.at(-1), b.delivered.at(-1), b.failed.at(-1), b.acknowledged.at(-1)], [4, 2, 1, 2], 'the last point is the totals');
  for (const k of ['sent', 'delivered', 'failed', 'acknowledged']) {
    t.equal(b[k].length, b.t.length, `${k}: one value per time`);
    t.ok(b[k].every((v: number, i: number) => i === 0 || v >= b[k][i - 1]), `${k} never goes down`);
  }
  // The same counts as the alert view.
  const view = (await app.inject({ url: `/api/alerts/${n}`, headers: bearer })).json();
  t.same([view.counts.delivered, view.counts.failed, view.counts.acknowledged], [b.delivered.at(-1), b.failed.at(-1), b.acknowledged.at(-1)]);

  // A refused text (no receipt) counts as failed when it was given up.
  await markSent(db, n, at(20), { memberIds: [m5], state: 'failed' });
  await sql`UPDATE outbox SET next_attempt_at = ${at(200)} WHERE id = (SELECT sms_outbox_id FROM deliveries WHERE alert_number = ${n} AND member_id = ${m5})`.execute(db);
  const after = (await app.inject({ url: `/api/alerts/${n}/timeline`, headers: bearer })).json();
  t.equal(after.failed[after.t.indexOf(s0 + 200)], 1);
  t.equal(after.failed[after.t.indexOf(s0 + 205)], 2, 'refused text failed at its last attempt');

  // Closed alerts end at their last event, not now.
  await sql`UPDATE alerts SET status = 'closed', closed_at = ${at(260)} WHERE number = ${n}`.execute(db);
  const closed = (await app.inject({ url: `/api/alerts/${n}/timeline`, headers: bearer })).json();
  t.equal(closed.t.at(-1), s0 + 250, 'ends with the bucket holding the last ACK');

  const missing = await app.inject({ url: '/api/alerts/99/timeline', headers: bearer });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error, 'not_found');
  const bad = await app.inject({ url: '/api/alerts/abc/timeline', headers: bearer });
  t.equal(bad.statusCode, 400);
});

t.test('organisations covered over time', async (t) => {
  const { db } = await freshDatabase(t);
  await db.insertInto('organisations').values(['RAA', 'RBB', 'RCC'].map((ods) => ({
    ods_code: ods, name: `${ods} Trust`, type: 'trust' as const, region: null, parent_ods_code: null, it_support_ods_code: null, routing: null, products: null,
  }))).execute();
  const phones = ['+447700900001', '+447700900002', '+447700900003', '+447700900004'];
  const orgOf = ['RAA', 'RAA', 'RBB', 'RCC'];
  const ids = (await db.insertInto('members')
    .values(phones.map((phone, i) => ({ name: `P ${i}`, phone, ods_code: orgOf[i]!, contact_role: 'primary' as const, organisation: orgOf[i]! })))
    .returning('id').execute()).map((r) => r.id);
  const n = await raiseAlert(db, T0);
  await ackBySql(db, n, ids[0]!, at(600));
  await ackBySql(db, n, ids[1]!, at(60)); // the same organisation, earlier: covered from 60 s
  await ackBySql(db, n, ids[2]!, at(1200));
  const app = await adminApp(db, () => at(1500));
  t.teardown(() => app.close());
  const b = (await app.inject({ url: `/api/alerts/${n}/timeline`, headers: bearer })).json();
  t.equal(b.organisations, 3);
  t.equal(b.bucketSeconds, 30);
  const v = (sec: number) => b.covered[b.t.indexOf(s0 + sec)];
  t.same([v(60), v(90), v(600), v(630), v(1200), v(1230), v(1500)], [0, 1, 1, 1, 1, 2, 2], 'RAA at its first ACK, RBB at 1200 s, RCC never');
  t.equal(b.acknowledged.at(-1), 3);
});
