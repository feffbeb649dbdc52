// Admin alerts API: auth, shapes, recipient filters, opt-outs.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, ackBySql, bearer, markSent, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';

const T0 = new Date('2026-11-23T09:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

t.test('admin alerts API', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, [
    ...memberSpecs(6),
    { name: 'Olive Out', phone: '+447700900900', organisation: 'Southtown', optedOut: true },
  ]);
  const [m0, m1, m2, m3, m4] = ids as [number, number, number, number, number];
  const first = await raiseAlert(db, T0, { exercise: true, summary: 'Exercise: phishing wave' });
  const second = await raiseAlert(db, at(5), { raiserId: m0, raiserName: 'Member 0', raiserOrg: 'Trust 0' });
  t.equal(first, 1);
  t.equal(second, 2);
  // Alert 2 went to m1..m5 (not the raiser, not the opted-out member).
  await markSent(db, second, at(6), { memberIds: [m1, m2], receipt: 'delivered' });
  await markSent(db, second, at(6), { memberIds: [m3], receipt: 'failed', error: '3: absent subscriber' });
  await ackBySql(db, second, m1, at(7));
  await ackBySql(db, second, m4, at(8)); // ACK before any delivery receipt
  const app = await adminApp(db);
  t.teardown(() => app.close());

  t.test('every route needs the admin token', async (t) => {
    const urls = ['/api/alerts', '/api/alerts/2', '/api/alerts/2/recipients', '/api/alerts/2/recipients.csv', '/api/opt-outs'];
    for (const url of urls) {
      const none = await app.inject({ url });
      t.equal(none.statusCode, 401, `${url} without a token`);
      t.equal(none.headers['www-authenticate'], 'Bearer');
      t.equal(none.json().error, 'unauthorized');
      t.notMatch(none.body, /Member|\+44/, 'no data in the refusal');
      const wrong = await app.inject({ url, headers: { authorization: 'Bearer not-the-admin-token-at-all' } });
      t.equal(wrong.statusCode, 401, `${url} with a wrong token`);
      const basic = await app.inject({ url, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      t.equal(basic.statusCode, 401, `${url} with Basic auth`);
      const right = await app.inject({ url, headers: bearer });
      t.equal(right.statusCode, 200, `${url} with the token`);
      t.equal(right.headers['cache-control'], 'no-store');
    }
  });

  t.test('GET /api/alerts: newest first with counts, paged', async (t) => {
    const res = await app.inject({ url: '/api/alerts', headers: bearer });
    const body = res.json();
    t.same(Object.keys(body).sort(), ['alerts', 'limit', 'offset', 'optedOutMembers', 'total']);
    t.equal(body.total, 2);
    t.equal(body.optedOutMembers, 1);
    t.same(body.alerts.map((a: { number: number }) => a.number), [2, 1]);
    const [two, one] = body.alerts;
    t.same(two.counts, {
      recipients: 5, queued: 2, submitted: 0, pending: 2, delivered: 2, failed: 1,
      acknowledged: 2, unacknowledged: 3, reminded: 0, optedOut: 0,
    });
    t.same(two.raiser, { name: 'Member 0', organisation: 'Trust 0' });
    t.equal(two.exercise, false);
    t.equal(two.status, 'open');
    t.equal(two.createdAt, at(5).toISOString());
    t.equal(two.lastAckAt, at(8).toISOString());
    t.equal(two.closedAt, null);
    t.equal(two.forumUrl, null);
    t.equal(two.source, 'admin');
    t.equal(one.exercise, true, 'exercise flag');
    t.equal(one.counts.recipients, 6);
    t.equal(one.counts.queued, 6);

    const page = await app.inject({ url: '/api/alerts?limit=1&offset=1', headers: bearer });
    t.same(page.json().alerts.map((a: { number: number }) => a.number), [1]);
    t.equal(page.json().limit, 1);
    t.equal(page.json().offset, 1);
    const past = await app.inject({ url: '/api/alerts?offset=10', headers: bearer });
    t.same(past.json().alerts, []);
    t.equal(past.json().optedOutMembers, 1);

    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'sort=asc']) {
      const bad = await app.inject({ url: `/api/alerts?${q}`, headers: bearer });
      t.equal(bad.statusCode, 400, q);
      t.equal(bad.json().error, 'invalid_request');
    }
  });

  t.test('GET /api/alerts/:n', async (t) => {
    const res = await app.inject({ url: '/api/alerts/2', headers: bearer });
    t.equal(res.statusCode, 200);
    const a = res.json();
    t.same(Object.keys(a).sort(), [
      'closedAt', 'counts', 'createdAt', 'exercise', 'forumUrl', 'kind', 'lastAckAt', 'number', 'optedOutMembers', 'organisations', 'raiser', 'source', 'status', 'summary',
    ]);
    t.same(a.organisations, { targeted: 0, covered: 0, uncovered: 0, needHelp: 0, affected: 0, notAffected: 0, escalated: 0, noOrganisation: { recipients: a.counts.recipients, acknowledged: a.counts.acknowledged } }, 'members without an organisation: as before, under noOrganisation');
    t.equal(a.number, 2);
    t.equal(a.kind, 'peer', 'a member\'s alert');
    t.equal(a.summary, 'Ransomware spreading via SMB on the N3 link');
    t.equal(a.counts.failed, 1);

    // Closed, with a forum topic, and a recipient who opted out afterwards.
    await sql`UPDATE alerts SET status = 'closed', closed_at = ${at(30)}, forum_topic_url = 'https://forum.example/t/12' WHERE number = 2`.execute(db);
    await sql`UPDATE members SET opted_out = true, opted_out_at = ${at(20)} WHERE id = ${m2}`.execute(db);
    const closed = (await app.inject({ url: '/api/alerts/2', headers: bearer })).json();
    t.equal(closed.status, 'closed');
    t.equal(closed.closedAt, at(30).toISOString());
    t.equal(closed.forumUrl, 'https://forum.example/t/12');
    t.equal(closed.counts.optedOut, 1);
    t.equal(closed.optedOutMembers, 2);
    await sql`UPDATE members SET opted_out = false, opted_out_at = null WHERE id = ${m2}`.execute(db);

    for (const url of ['/api/alerts/99', '/api/alerts/99/recipients', '/api/alerts/99/recipients.csv']) {
      const missing = await app.inject({ url, headers: bearer });
      t.equal(missing.statusCode, 404, url);
      t.same(missing.json(), { error: 'not_found', message: 'Alert #99 not found' });
    }
    for (const url of ['/api/alerts/0', '/api/alerts/abc', '/api/alerts/1e3', '/api/alerts/-1']) {
      const bad = await app.inject({ url, headers: bearer });
      t.equal(bad.statusCode, 400, url);
    }
  });

  t.test('recipients: filters', async (t) => {
    const list = async (state?: string) => {
      const res = await app.inject({ url: `/api/alerts/2/recipients${state ? `?state=${state}` : ''}`, headers: bearer });
      t.equal(res.statusCode, 200, state ?? 'default');
      return res.json();
    };
    const def = await list();
    t.equal(def.state, 'unacknowledged', 'default is who to phone');
    t.equal(def.alert, 2);
    t.same(def.recipients.map((r: { memberId: number }) => r.memberId).sort(), [m2, m3, ids[5]].sort());
    t.equal(def.count, 3);
    const r3 = def.recipients.find((r: { memberId: number }) => r.memberId === m3);
    t.same(r3, {
      memberId: m3, name: 'Member 3', organisation: 'Trust 3', phone: '+447700900003', optedOut: false,
      deliveryState: 'failed', receiptError: '3: absent subscriber', ackedAt: null, remindedAt: null,
    });
    const acked = await list('acknowledged');
    t.same(acked.recipients.map((r: { memberId: number }) => r.memberId).sort(), [m1, m4].sort());
    t.equal(acked.recipients.find((r: { memberId: number }) => r.memberId === m4).ackedAt, at(8).toISOString());
    t.same((await list('failed')).recipients.map((r: { memberId: number }) => r.memberId), [m3]);
    t.same((await list('delivered')).recipients.map((r: { memberId: number }) => r.memberId).sort(), [m1, m2].sort());
    const pending = await list('pending');
    t.same(pending.recipients.map((r: { memberId: number }) => r.memberId).sort(), [m4, ids[5]].sort());
    t.ok(pending.recipients.every((r: { deliveryState: string }) => r.deliveryState === 'queued'));
    const all = await list('all');
    t.equal(all.count, 5);
    t.same(all.recipients.map((r: { organisation: string }) => r.organisation), [...all.recipients.map((r: { organisation: string }) => r.organisation)].sort(), 'by organisation');

    const bad = await app.inject({ url: '/api/alerts/2/recipients?state=everyone', headers: bearer });
    t.equal(bad.statusCode, 400);
    const extra = await app.inject({ url: '/api/alerts/2/recipients?state=all&x=1', headers: bearer });
    t.equal(extra.statusCode, 400);
  });

  t.test('GET /api/opt-outs', async (t) => {
    const res = await app.inject({ url: '/api/opt-outs', headers: bearer });
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.equal(body.count, 1);
    t.same(Object.keys(body.members[0]).sort(), ['memberId', 'name', 'optedOutAt', 'organisation', 'phone']);
    t.equal(body.members[0].name, 'Olive Out');
    t.equal(body.members[0].phone, '+447700900900');
    t.match(body.members[0].optedOutAt, /^\d{4}-\d\d-\d\dT/);
  });
});

t.test('an empty service answers with empty lists', async (t) => {
  const { db } = await freshDatabase(t);
  const app = await adminApp(db);
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/api/alerts', headers: bearer });
  t.same(res.json(), { alerts: [], total: 0, limit: 20, offset: 0, optedOutMembers: 0 });
  t.same((await app.inject({ url: '/api/opt-outs', headers: bearer })).json(), { count: 0, total: 0, limit: 100, offset: 0, members: [] });
});

t.test('an alert with no recipients still answers', async (t) => {
  const { db } = await freshDatabase(t);
  await raiseAlert(db, T0);
  const app = await adminApp(db);
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/api/alerts/1/recipients?state=all', headers: bearer });
  t.same(res.json(), { alert: 1, state: 'all', count: 0, total: 0, limit: 100, offset: 0, recipients: [] });
  const one = (await app.inject({ url: '/api/alerts/1', headers: bearer })).json();
  t.equal(one.counts.recipients, 0);
  t.equal(one.lastAckAt, null);
});

t.test('recipients and opt-outs are paged: limit (default 100, at most 1000), offset, total', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(250));
  const n = await raiseAlert(db, T0);
  await sql`UPDATE members SET opted_out = true, opted_out_at = ${at(1)}::timestamptz + id * interval '1 second' WHERE id % 2 = 0`.execute(db);
  const app = await adminApp(db);
  t.teardown(() => app.close());
  const get = (url: string) => app.inject({ url, headers: bearer });

  const all = (await get(`/api/alerts/${n}/recipients?state=all&limit=1000`)).json();
  t.equal(all.total, 250);
  t.equal(all.recipients.length, 250);
  const first = (await get(`/api/alerts/${n}/recipients?state=all`)).json();
  t.match(first, { count: 100, total: 250, limit: 100, offset: 0 }, 'default page: 100');
  t.equal(first.recipients.length, 100);
  const pages = [first];
  for (const offset of [100, 200]) pages.push((await get(`/api/alerts/${n}/recipients?state=all&offset=${offset}`)).json());
  t.match(pages[2], { count: 50, total: 250, offset: 200 });
  t.same(pages.flatMap((p: { recipients: { memberId: number }[] }) => p.recipients.map((r) => r.memberId)), all.recipients.map((r: { memberId: number }) => r.memberId), 'the pages, in order, are the whole list once');
  t.match((await get(`/api/alerts/${n}/recipients?state=all&offset=300`)).json(), { count: 0, total: 250, recipients: [] }, 'past the end: an empty page, not a 404');
  t.equal((await get(`/api/alerts/99/recipients?offset=300`)).statusCode, 404);
  t.match((await get(`/api/alerts/${n}/recipients?limit=7&offset=3`)).json(), { count: 7, total: 250, limit: 7, offset: 3 });

  for (const q of ['limit=1001', 'limit=0', 'limit=-1', 'limit=abc', 'limit=1.5', 'offset=-1', 'limit=10&limit=20']) {
    for (const url of [`/api/alerts/${n}/recipients?${q}`, `/api/opt-outs?${q}`]) {
      const res = await get(url);
      t.equal(res.statusCode, 400, `${url}: refused`);
      t.equal(res.json().error, 'invalid_request');
    }
  }
  t.match((await get(`/api/opt-outs?limit=5000`)).json().message, /limit must be between 1 and 1000 \(was 5000\)/, 'says what is wrong');

  const csv = await app.inject({ url: `/api/alerts/${n}/recipients.csv?state=all&limit=10`, headers: bearer });
  t.equal(csv.body.trim().split('\n').length, 251, 'the CSV is the whole list (header + 250)');

  const o1 = (await get('/api/opt-outs?limit=100')).json();
  t.match(o1, { count: 100, total: 125, limit: 100, offset: 0 });
  const o2 = (await get('/api/opt-outs?offset=100')).json();
  t.match(o2, { count: 25, total: 125, offset: 100 });
  const ids = [...o1.members, ...o2.members].map((m: { memberId: number }) => m.memberId);
  t.equal(new Set(ids).size, 125, 'nobody twice across pages');
  t.same(ids, [...ids].sort((a, b) => b - a), 'most recent opt-out first, across pages');
  t.equal((await get('/api/alerts')).json().optedOutMembers, 125);
});
