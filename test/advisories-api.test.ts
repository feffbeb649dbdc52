// POST /api/advisories: the admin API's answers, its refusals in words, and admin-only access.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, bearer } from './helpers/alert-fixtures.js';
import { addContacts, addOrganisations } from './helpers/advisory-fixtures.js';

const NOW = new Date('2026-12-01T09:00:00Z');

t.test('POST /api/advisories', async (t) => {
  const { db } = await freshDatabase(t);
  await addOrganisations(db, [
    { odsCode: 'CSU01', name: 'North CSU', type: 'csu', products: ['Windows'] },
    { odsCode: 'RX1', name: 'Northtown Trust', type: 'trust', products: ['Juniper ScreenOS'] },
    { odsCode: 'RX2', name: 'Southtown Trust', type: 'trust', products: null },
    { odsCode: 'A81001', name: 'Riverside Surgery', type: 'gp_practice', itSupport: 'CSU01', routing: 'via_support', products: ['Juniper ScreenOS'] },
  ]);
  await addContacts(db, [{ name: 'Cas CSU', odsCode: 'CSU01' }, { name: 'Rita Northtown', odsCode: 'RX1' }]);
  const app = await adminApp(db, () => NOW);
  t.teardown(() => app.close());
  const post = (payload: unknown, headers: Record<string, string> = bearer) => app.inject({ method: 'POST', url: '/api/advisories', headers, payload: payload as object });
  const body = { title: 'Juniper ScreenOS backdoor', body: 'Patch ScreenOS now.', severity: 'high', target: { products: ['juniper screenos'] } };

  t.equal((await post(body, {})).statusCode, 401, 'admin token required');

  const dry = await post({ ...body, dryRun: true });
  t.equal(dry.statusCode, 200);
  const d = dry.json();
  t.same([d.number, d.dryRun, d.organisations, d.recipients], [null, true, { targeted: 3, reachable: 2, unreachable: 1, estateUnknown: 1 }, 2]);
  t.same(d.unreachableOrganisations, [{ odsCode: 'RX2', name: 'Southtown Trust' }]);
  t.same(d.preview.map((o: { odsCode: string; contacts: { name: string; route: string }[] }) => [o.odsCode, o.contacts.map((c) => `${c.name}:${c.route}`)]), [
    ['A81001', ['Cas CSU:via_support']],
    ['RX1', ['Rita Northtown:direct']],
    ['RX2', []],
  ]);
  const none = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox`.execute(db);
  t.equal(none.rows[0]!.n, 0, 'the dry run sent nothing');

  const sent = await post(body);
  t.equal(sent.statusCode, 201);
  const s = sent.json();
  t.same([s.number, s.respondBy, s.organisations, s.recipients, s.texts], [1, '2026-12-03T09:00:00.000Z', { targeted: 3, reachable: 2, unreachable: 1, estateUnknown: 1 }, 2, 2]);
  t.notOk('preview' in s);

  const view = await app.inject({ method: 'GET', url: '/api/advisories/1/organisations', headers: bearer });
  t.equal(view.statusCode, 200);
  const v = view.json();
  t.same(v.summary, { targeted: 3, responded: 0, onTime: 0, affected: 0, notAffected: 0, resolved: 0, overdue: 0, unreachable: 1, needHelp: 0, estateUnknown: 1 });
  t.same(v.organisations.map((o: { odsCode: string }) => o.odsCode).sort(), ['A81001', 'RX1', 'RX2']);
  t.ok(v.organisations.every((o: { response: string }) => o.response === 'no_response'));
  const csv = await app.inject({ method: 'GET', url: '/api/advisories/1/organisations?state=unreachable', headers: { ...bearer, accept: 'text/csv' } });
  t.match(csv.headers['content-type'], /text\/csv/);
  t.match(csv.body, /ods_code,name,type,routing,estate_unknown,reachable,response,responded_at,responded_by,on_time,overdue,need_help,contacts\r\nRX2,Southtown Trust,trust,direct,yes,no,no_response,/);
  t.equal((await app.inject({ method: 'GET', url: '/api/advisories/99/organisations', headers: bearer })).statusCode, 404);

  const refusals: [unknown, string, RegExp][] = [
    [{ ...body, target: {} }, 'invalid_advisory', /target is empty: an advisory to nobody is an error.*\{"all": true\}/],
    [{ ...body, target: { types: ['hospital'] } }, 'invalid_advisory', /unknown organisation type "hospital"/],
    [{ ...body, body: 'x'.repeat(10_001) }, 'invalid_advisory', /body is 10,001 characters; at most 10,000/],
    [{ ...body, severity: 'urgent', title: '' }, 'invalid_advisory', /title is required.*severity must be one of/],
    [{ ...body, target: { odsCodes: ['RX1', 'Q99999'] } }, 'unknown_organisation', /unknown ODS code in target.odsCodes: Q99999/],
    [{ ...body, target: { types: ['social_care'] } }, 'no_organisations', /no organisation matches the target/],
    [[1, 2], 'invalid_advisory', /JSON object/],
  ];
  for (const [payload, code, re] of refusals) {
    const r = await post(payload);
    t.equal(r.statusCode, 400, code);
    t.equal(r.json().error, code);
    t.match(r.json().message, re);
  }
  const all = await post({ ...body, target: { all: true }, severity: 'low' });
  t.equal(all.statusCode, 201, 'everybody, said explicitly');
  t.equal(all.json().organisations.targeted, 4, 'every organisation, the CSU too');
  t.equal(all.json().respondBy, null, 'low: no deadline');
});

t.test('an advisory issued from a signed-in session is recorded as from the dashboard; with the admin token, from the API', async (t) => {
  const { db } = await freshDatabase(t);
  await addOrganisations(db, [{ odsCode: 'RX1', name: 'Northtown Trust', type: 'trust', products: ['Juniper ScreenOS'] }]);
  await addContacts(db, [{ name: 'Rita Northtown', odsCode: 'RX1' }]);
  const [adminId] = await addMembers(db, [{ name: 'Ada Admin', phone: '+447700900501', role: 'admin' }]);
  const app = await adminApp(db, () => NOW);
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'POST', url: '/api/signin/code', payload: { phone: '+447700900501' } })).statusCode, 202);
  const text = await db.selectFrom('outbox').select('body').where('member_id', '=', adminId!).where('body', 'like', 'Batsignal sign-in code:%').executeTakeFirstOrThrow();
  const code = /code: (\d{6})\./.exec(text.body)![1]!;
  const session = (await app.inject({ method: 'POST', url: '/api/signin/verify', payload: { phone: '+447700900501', code } })).json<{ token: string }>();
  const body = { title: 'Juniper ScreenOS backdoor', body: 'Patch now.', severity: 'high', target: { products: ['Juniper ScreenOS'] } };
  const web = await app.inject({ method: 'POST', url: '/api/advisories', headers: { authorization: `Bearer ${session.token}` }, payload: body });
  t.equal(web.statusCode, 201);
  const api = await app.inject({ method: 'POST', url: '/api/advisories', headers: bearer, payload: body });
  t.equal(api.statusCode, 201);
  const via = await db.selectFrom('advisories').select(['number', 'issued_via']).orderBy('number').execute();
  t.same(via.map((v) => [v.number, v.issued_via]), [[web.json<{ number: number }>().number, 'web'], [api.json<{ number: number }>().number, 'api']]);
});
