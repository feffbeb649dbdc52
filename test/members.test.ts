// Members admin API: auth, CRUD, phone normalisation at the edge, and every bad input a clear 4xx
// with nothing written.
import t, { type Test } from 'tap';
import { freshDatabase } from './helpers/db.js';
import { buildApp } from '../src/app.js';
import type { AppDeps } from '../src/deps.js';
import { loadConfig } from '../src/config.js';
import { raiseAlert } from './helpers/alert-fixtures.js';
import { loggerOptions } from '../src/logging.js';

const TOKEN = 'test-admin-token-123456';
const auth = { authorization: `Bearer ${TOKEN}` };

async function setup(t: Test) {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ ADMIN_TOKEN: TOKEN });
  const deps: AppDeps = { config, db, clock: () => new Date('2026-11-23T10:00:00Z'), adminTokens: [TOKEN] };
  const app = await buildApp(deps);
  t.teardown(() => app.close());
  const count = async () => Number((await db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { db, app, count };
}

const jane = { name: 'Jane Smith', phone: '07700 900123', email: 'jane@northtown.nhs.uk', organisation: 'Northtown Trust' };

t.test('no token and a wrong token are refused on every route; the right one works', async (t) => {
  const { app } = await setup(t);
  const routes: [string, string][] = [
    ['GET', '/api/members'], ['GET', '/api/members/1'], ['POST', '/api/members'], ['PATCH', '/api/members/1'],
    ['DELETE', '/api/members/1'], ['POST', '/api/members/import'],
  ];
  for (const [method, url] of routes) {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TOKEN }]) {
      const res = await app.inject({ method: method as 'GET', url, headers, payload: method === 'POST' || method === 'PATCH' ? jane : undefined });
      t.equal(res.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}`);
      t.equal(res.json().error, 'unauthorized');
    }
  }
  const ok = await app.inject({ method: 'GET', url: '/api/members', headers: auth });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { members: [], total: 0, limit: 100, offset: 0 });
});

t.test('create, get, list, update, delete', async (t) => {
  const { app, db } = await setup(t);
  const created = await app.inject({ method: 'POST', url: '/api/members', headers: auth, payload: jane });
  t.equal(created.statusCode, 201);
  const m = created.json();
  t.match(m, { name: 'Jane Smith', phone: '+447700900123', email: 'jane@northtown.nhs.uk', organisation: 'Northtown Trust', role: 'member', forumUsername: null, optedOut: false, optedOutAt: null });
  t.equal(created.headers.location, `/api/members/${m.id}`);

  t.same((await app.inject({ url: `/api/members/${m.id}`, headers: auth })).json(), m);

  // The same number written another way is the same member.
  for (const phone of ['+44 7700 900123', '447700900123', '+44 (0)7700 900123', '07700-900-123']) {
    const dup = await app.inject({ method: 'POST', url: '/api/members', headers: auth, payload: { name: 'Other', phone } });
    t.equal(dup.statusCode, 409, phone);
    t.equal(dup.json().error, 'phone_taken');
  }

  await app.inject({ method: 'POST', url: '/api/members', headers: auth, payload: { name: 'Ada Admin', phone: '+447700900124', role: 'admin', forumUsername: 'ada' } });
  const admins = (await app.inject({ url: '/api/members?role=admin', headers: auth })).json();
  t.equal(admins.total, 1);
  t.equal(admins.members[0].name, 'Ada Admin');
  const bySearch = async (q: string) => (await app.inject({ url: `/api/members?search=${encodeURIComponent(q)}`, headers: auth })).json().members.map((x: { name: string }) => x.name);
  t.same(await bySearch('northtown'), ['Jane Smith']);
  t.same(await bySearch('07700 900124'), ['Ada Admin'], 'a number in national format');
  t.same(await bySearch('900123'), ['Jane Smith'], 'the last digits');
  t.same(await bySearch('50%_'), [], 'LIKE wildcards are literal');
  const page = (await app.inject({ url: '/api/members?limit=1&offset=1', headers: auth })).json();
  t.same([page.total, page.members.length, page.members[0].name], [2, 1, 'Jane Smith']);

  const patched = await app.inject({ method: 'PATCH', url: `/api/members/${m.id}`, headers: auth, payload: { organisation: 'Southtown ICB', email: null, optedOut: true } });
  t.equal(patched.statusCode, 200);
  t.match(patched.json(), { organisation: 'Southtown ICB', email: null, optedOut: true, optedOutAt: '2026-11-23T10:00:00.000Z', name: 'Jane Smith' });
  const optedIn = await app.inject({ method: 'PATCH', url: `/api/members/${m.id}`, headers: auth, payload: { optedOut: false } });
  t.match(optedIn.json(), { optedOut: false, optedOutAt: null });
  t.equal((await app.inject({ url: '/api/members?optedOut=true', headers: auth })).json().total, 0);

  const clash = await app.inject({ method: 'PATCH', url: `/api/members/${m.id}`, headers: auth, payload: { forumUsername: 'ADA' } });
  t.equal(clash.statusCode, 409, 'forum usernames clash case-insensitively');
  t.equal(clash.json().error, 'forum_username_taken');
  const phoneClash = await app.inject({ method: 'PATCH', url: `/api/members/${m.id}`, headers: auth, payload: { phone: '07700900124' } });
  t.equal(phoneClash.statusCode, 409);

  // A member who received an alert: the delivery goes with them, the alert stays.
  await raiseAlert(db, new Date());
  t.ok(await db.selectFrom('deliveries').where('member_id', '=', m.id).select('alert_number').executeTakeFirst());
  t.equal((await app.inject({ method: 'DELETE', url: `/api/members/${m.id}`, headers: auth })).statusCode, 204);
  t.equal((await app.inject({ url: `/api/members/${m.id}`, headers: auth })).statusCode, 404);
  t.equal((await app.inject({ method: 'DELETE', url: `/api/members/${m.id}`, headers: auth })).statusCode, 404);
  t.equal((await app.inject({ method: 'PATCH', url: `/api/members/${m.id}`, headers: auth, payload: { name: 'x' } })).statusCode, 404);
  t.notOk(await db.selectFrom('deliveries').where('member_id', '=', m.id).select('alert_number').executeTakeFirst());
  t.ok(await db.selectFrom('alerts').select('number').executeTakeFirst());
});

t.test('bad input: a clear 4xx, never a 500, nothing written', async (t) => {
  const { app, count } = await setup(t);
  const post = (payload: string | object, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url: '/api/members', headers: { ...auth, ...headers }, payload });

  const cases: [string, Awaited<ReturnType<typeof post>>, number, string, RegExp][] = [
    ['malformed JSON', await post('{"name": "Jane", "phone": '), 400, 'invalid_json_body', /JSON/i],
    ['wrong content type', await post('name=Jane&phone=07700900123', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type', /application\/json/],
    ['CSV to the JSON route', await post('name,phone\nJane,07700900123', { 'content-type': 'text/csv' }), 415, 'unsupported_media_type', /application\/json/],
    ['oversized body', await post({ ...jane, name: 'x'.repeat(70 * 1024) }), 413, 'body_too_large', /too large/i],
    ['unknown field', await post({ ...jane, nickname: 'JJ' }), 400, 'invalid_request', /unknown field "nickname"/],
    ['missing phone', await post({ name: 'Jane' }), 400, 'invalid_request', /phone/],
    ['wrong type', await post({ name: 'Jane', phone: 7700900123 }), 400, 'invalid_request', /body\.phone must be string/],
    ['invalid phone', await post({ ...jane, phone: '07700 12' }), 400, 'invalid_phone', /not a valid GB number/],
    ['letters in phone', await post({ ...jane, phone: 'call me' }), 400, 'invalid_phone', /not part of a phone number/],
    ['invalid email', await post({ ...jane, email: 'jane at northtown' }), 400, 'invalid_email', /not an email address/],
    ['bad role', await post({ ...jane, role: 'owner' }), 400, 'invalid_request', /role/],
    ['blank name', await post({ ...jane, name: '   ' }), 400, 'invalid_request', /name is empty/],
    // PostgreSQL text cannot hold NUL: refused at the edge, not a 500 from the database.
    ['NUL in a name', await post({ ...jane, name: 'Jane\u0000Smith' }), 400, 'invalid_request', /name contains control or invalid characters/],
    ['NUL in an organisation', await post({ ...jane, organisation: 'Trust\u0000' }), 400, 'invalid_request', /organisation contains control/],
    ['NUL in an email', await post({ ...jane, email: 'jane\u0000@northtown.nhs.uk' }), 400, 'invalid_email', /not an email address/],
    ['a lone surrogate', await post('{"name": "Jane \\ud800", "phone": "07700900123"}'), 400, 'invalid_request', /name contains control or invalid/],
    ['a JSON array', await post('[]'), 400, 'invalid_request', /body must be object/],
  ];
  for (const [what, res, status, code, message] of cases) {
    t.equal(res.statusCode, status, what);
    t.equal(res.json().error, code, what);
    t.match(res.json().message, message, what);
  }
  t.equal(await count(), 0, 'nothing written');

  const created = await post(jane);
  const id = created.json().id;
  const patch = (payload: object | string, headers = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'PATCH', url: `/api/members/${id}`, headers: { ...auth, ...headers }, payload });
  t.equal((await patch({})).statusCode, 400, 'empty patch');
  t.equal((await patch({ phone: '123' })).json().error, 'invalid_phone');
  t.match((await patch({ name: 'Janet', id: 5 })).json().message, /unknown field "id"/);
  t.equal((await patch('{bad')).statusCode, 400);
  t.equal((await app.inject({ url: '/api/members/abc', headers: auth })).statusCode, 400);
  t.equal((await app.inject({ url: '/api/members?limit=5000', headers: auth })).statusCode, 400);
  t.equal((await app.inject({ url: '/api/members?colour=red', headers: auth })).statusCode, 400);
  t.match((await app.inject({ url: '/api/members?search=a%00b', headers: auth })).json(), { error: 'invalid_request', message: /search contains control/ });
  t.equal((await patch({ name: 'Jane\u0000' })).statusCode, 400);
  const after = (await app.inject({ url: `/api/members/${id}`, headers: auth })).json();
  t.same(after, created.json(), 'the member is as created');
});

t.test('admins see numbers; the log never does (create, clash, bad number, search, import)', async (t) => {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'debug' });
  const lines: string[] = [];
  const app = await buildApp({ config, db, clock: () => new Date(), adminTokens: [TOKEN] }, loggerOptions(config, { write: (l) => void lines.push(l) }));
  t.teardown(() => app.close());
  const json = { ...auth, 'content-type': 'application/json' };
  const created = await app.inject({ method: 'POST', url: '/api/members', headers: json, payload: jane });
  t.equal(created.json().phone, '+447700900123', 'the admin sees the number');
  const clash = await app.inject({ method: 'POST', url: '/api/members', headers: json, payload: { name: 'Other', phone: '+44 7700 900123' } });
  t.match(clash.json(), { error: 'phone_taken', message: /\+447700900123/ }, 'and the clash names it');
  t.equal((await app.inject({ method: 'POST', url: '/api/members', headers: json, payload: { name: 'Bad', phone: '07700 98765' } })).statusCode, 400);
  t.equal((await app.inject({ method: 'PATCH', url: `/api/members/${created.json().id}`, headers: json, payload: { phone: '07700 900124' } })).statusCode, 200);
  t.equal((await app.inject({ url: '/api/members?search=07700%20900124', headers: auth })).json().total, 1);
  const csv = 'name,phone,email,organisation,role\nAda,07700 900125,,X,member\nAda again,07700900125,,X,member\nBad,07700 98765,,X,member\n';
  t.match((await app.inject({ method: 'POST', url: '/api/members/import', headers: { ...auth, 'content-type': 'text/csv' }, payload: csv })).json(), { added: 1, rejected: 2 });
  await app.close();

  const log = lines.join('');
  t.ok(lines.length > 0, 'the app did log');
  for (const n of ['900123', '900124', '900125', '98765']) t.notOk(log.includes(n), `no …${n} in the log`);
});
