// The organisation directory over HTTP: CSV import (per-row report, forward references, cycles,
// idempotent), CRUD with filters, members linked by ODS code (CSV and API), and an alert's
// coverage by organisation (JSON, CSV, state filter, summary on GET /api/alerts/:n).
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { adminApp, bearer, raiseAlert } from './helpers/alert-fixtures.js';
import { SAMPLE_ORGANISATIONS_CSV } from '../src/directory/org-sample.js';
import { seedDemoMembers } from '../src/directory/demo.js';
import { sweepEscalations } from '../src/alerts/escalation.js';
import { testConfig } from './helpers/alert-fixtures.js';

const csvHeaders = { ...bearer, 'content-type': 'text/csv' };
const jsonHeaders = { ...bearer, 'content-type': 'application/json' };

t.test('the sample file in docs/ is the one the demo loads', async (t) => {
  t.equal(await readFile(new URL('../docs/samples/organisations.csv', import.meta.url), 'utf8'), SAMPLE_ORGANISATIONS_CSV);
});

t.test('import: good rows, forward references, per-row reasons, idempotent, nothing lost to a bad row', async (t) => {
  const { db } = await freshDatabase(t);
  const app = await adminApp(db);
  t.teardown(() => app.close());

  const sample = await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload: SAMPLE_ORGANISATIONS_CSV });
  t.equal(sample.statusCode, 200, sample.body);
  t.match(sample.json(), { added: 11, updated: 0, unchanged: 0, rejected: 0 }, 'every sample row, though the ICB is defined last');
  const again = await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload: SAMPLE_ORGANISATIONS_CSV });
  t.match(again.json(), { added: 0, updated: 0, unchanged: 11, rejected: 0 }, 'importing it again changes nothing');

  const file = [
    'ODS Code,Name,Type,Region,Parent ODS Code,IT support ODS code,Routing,Products',
    'rzn,Northtown Teaching Hospitals (renamed),trust,North West,QZA,,direct,Cerner Millennium', // 2 updated
    'RZN,Twice,trust,,,,,', // 3 duplicate
    'X1,Too short,trust,,,,,', // 4 bad ODS code
    'Y12345,A surgery,hospital,,,,,', // 5 bad type
    'Y12346,Orphan surgery,gp_practice,,NOPE,,,', // 6 unknown parent
    'CYA,Cycle A,other,,CYB,,,', // 7 cycle
    'CYB,Cycle B,other,,CYA,,,', // 8 cycle
    'CYC,Hangs off the cycle,other,,CYA,,,', // 9 its parent was refused
    'Y12347,New surgery,GP practice,North West,QZA,0ZC,,EMIS Web; emis web ;Docman', // 10 added
    'Y12348,Routed oddly,gp_practice,,,,via_support,', // 11 via_support without a unit
    'Y12349,"Quote ""d"" surgery",gp_practice,,,Y12350,,', // 12 forward reference to row 13
    'Y12350,Later support unit,csu,,,,,', // 13
    'RZS,Southtown and District NHS Trust,trust,North West,QZA,,,Epic;Windows 11;Fortinet FortiGate', // 14 unchanged
    'SUP,Support loop,csu,,,SUQ,,', // 15 support cycle
    'SUQ,Support loop 2,csu,,,SUP,,', // 16
  ].join('\r\n');
  const r = await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload: file });
  t.equal(r.statusCode, 200, r.body);
  const rep = r.json();
  const byRow = new Map(rep.rows.map((x: { row: number }) => [x.row, x]));
  t.match(byRow.get(2), { outcome: 'updated', odsCode: 'RZN' });
  t.match(byRow.get(3), { outcome: 'rejected', reason: 'same ods_code as row 2' });
  t.match(byRow.get(4), { outcome: 'rejected', reason: /"X1" is not an ODS code/ });
  t.match(byRow.get(5), { outcome: 'rejected', odsCode: 'Y12345', reason: /type "hospital" is not one of trust, gp_practice/ });
  t.match(byRow.get(6), { outcome: 'rejected', reason: 'parent_ods_code NOPE is not in the directory or this file' });
  t.match(byRow.get(7), { outcome: 'rejected', reason: 'parent_ods_code makes a cycle: CYA -> CYB -> CYA' });
  t.match(byRow.get(8), { outcome: 'rejected', reason: 'parent_ods_code makes a cycle: CYB -> CYA -> CYB' });
  t.match(byRow.get(9), { outcome: 'rejected', reason: 'parent_ods_code CYA is not in the directory or this file' });
  t.match(byRow.get(10), { outcome: 'added', odsCode: 'Y12347' });
  t.match(byRow.get(11), { outcome: 'rejected', reason: 'routing via_support needs an it_support_ods_code' });
  t.match(byRow.get(12), { outcome: 'added' });
  t.match(byRow.get(13), { outcome: 'added' });
  t.match(byRow.get(14), { outcome: 'unchanged' });
  t.match(byRow.get(15), { outcome: 'rejected', reason: /it_support_ods_code makes a cycle/ });
  t.match(rep, { added: 3, updated: 1, unchanged: 1, rejected: 10 });

  const y = (await app.inject({ method: 'GET', url: '/api/organisations/y12347', headers: bearer })).json();
  t.match(y, { odsCode: 'Y12347', type: 'gp_practice', products: ['EMIS Web', 'Docman'], effectiveRouting: 'both', itSupportOdsCode: '0ZC' });
  t.equal((await app.inject({ method: 'GET', url: '/api/organisations/Y12349', headers: bearer })).json().name, 'Quote "d" surgery');

  // A file without the optional columns keeps what the directory holds.
  const bare = await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload: 'ods_code,name,type\nY12347,New surgery,gp_practice\n' });
  t.match(bare.json(), { unchanged: 1 });
  t.match((await app.inject({ method: 'GET', url: '/api/organisations/Y12347', headers: bearer })).json(), { products: ['EMIS Web', 'Docman'], parentOdsCode: 'QZA' });

  // Excel's Windows-1252 "CSV (Comma delimited)".
  const cp1252 = Buffer.from('ods_code,name,type\nY22222,Caf\xe9 Lane Surgery \xa3,gp_practice\n', 'latin1');
  const enc = await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload: cp1252 });
  t.match(enc.json(), { added: 1 });
  t.equal((await app.inject({ method: 'GET', url: '/api/organisations/Y22222', headers: bearer })).json().name, 'Café Lane Surgery £');

  // The whole file refused, with the reason, when the header is wrong.
  for (const [payload, msg] of [
    ['code_of_practice,name,type\nRZN,x,trust\n', /Unknown column "code_of_practice"/],
    ['name,type\nx,trust\n', /missing the column ods_code/],
    ['ods_code;name;type\nRZN;x;trust\n', /semicolons/],
    ['', /The file is empty/],
  ] as const) {
    const bad = await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload });
    t.equal(bad.statusCode, 400);
    t.match(bad.json().message, msg);
  }
  t.equal((await app.inject({ method: 'POST', url: '/api/organisations/import', headers: jsonHeaders, payload: '{}' })).statusCode, 415);
  t.equal((await app.inject({ method: 'POST', url: '/api/organisations/import', headers: { 'content-type': 'text/csv' }, payload: 'x' })).statusCode, 401);
});

t.test('API: list with filters and paging, add, change, remove; every bad body gets a clear 4xx', async (t) => {
  const { db } = await freshDatabase(t);
  const app = await adminApp(db);
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload: SAMPLE_ORGANISATIONS_CSV });

  const list = async (q: string) => (await app.inject({ method: 'GET', url: `/api/organisations${q}`, headers: bearer })).json();
  t.equal((await list('')).total, 11);
  t.same((await list('?type=gp_practice')).organisations.map((o: { odsCode: string }) => o.odsCode).sort(), ['Z91001', 'Z91002', 'Z91003', 'Z91004']);
  t.equal((await list('?region=north%20west')).total, 11);
  t.equal((await list('?region=South')).total, 0);
  t.same((await list('?search=ancoats')).organisations.map((o: { odsCode: string }) => o.odsCode), ['Z91002']);
  t.same((await list('?search=qza')).organisations.map((o: { odsCode: string }) => o.odsCode), ['QZA']);
  const page = await list('?limit=2&offset=2');
  t.match(page, { total: 11, limit: 2, offset: 2 });
  t.equal(page.organisations.length, 2);

  const add = await app.inject({
    method: 'POST', url: '/api/organisations', headers: jsonHeaders,
    payload: { odsCode: 'z91005', name: 'New Practice', type: 'gp_practice', itSupportOdsCode: '0ZC', products: ['EMIS Web'] },
  });
  t.equal(add.statusCode, 201, add.body);
  t.equal(add.headers.location, '/api/organisations/Z91005');
  t.match(add.json(), { odsCode: 'Z91005', effectiveRouting: 'both', routing: null, region: null });

  const patch = await app.inject({ method: 'PATCH', url: '/api/organisations/Z91005', headers: jsonHeaders, payload: { routing: 'via_support', products: null } });
  t.match(patch.json(), { routing: 'via_support', effectiveRouting: 'via_support', products: null });

  const bad = async (method: 'POST' | 'PATCH', url: string, payload: unknown, status: number, msg: RegExp) => {
    const r = await app.inject({ method, url, headers: jsonHeaders, payload: payload as object });
    t.equal(r.statusCode, status, `${method} ${JSON.stringify(payload)}`);
    t.match(r.json().message, msg);
  };
  await bad('POST', '/api/organisations', { odsCode: 'QZA', name: 'x', type: 'icb' }, 409, /already in the directory/);
  await bad('POST', '/api/organisations', { odsCode: 'Q!', name: 'x', type: 'icb' }, 400, /odsCode/);
  await bad('POST', '/api/organisations', { odsCode: 'QQQ', name: 'x', type: 'hospital' }, 400, /type/);
  await bad('POST', '/api/organisations', { odsCode: 'QQQ', name: 'x', type: 'icb', colour: 'red' }, 400, /unknown field "colour"/);
  await bad('POST', '/api/organisations', { odsCode: 'QQQ', name: 'x', type: 'icb', parentOdsCode: 'NOPE' }, 400, /NOPE is not in the directory/);
  await bad('POST', '/api/organisations', { odsCode: 'QQQ', name: 'x\u0000', type: 'icb' }, 400, /control or invalid/);
  await bad('PATCH', '/api/organisations/QZA', { parentOdsCode: 'Z91001' }, 400, /cycle: QZA -> Z91001 -> QZA/);
  await bad('PATCH', '/api/organisations/Z91002', { routing: 'via_support', itSupportOdsCode: null }, 400, /via_support needs/);
  await bad('PATCH', '/api/organisations/NOPE', { name: 'x' }, 404, /NOPE not found/);
  await bad('PATCH', '/api/organisations/QZA', {}, 400, /fewer than 1|minProperties|must NOT have fewer/);

  t.equal((await app.inject({ method: 'DELETE', url: '/api/organisations/QZA', headers: bearer })).statusCode, 409, 'still a parent');
  t.equal((await app.inject({ method: 'DELETE', url: '/api/organisations/Z91005', headers: bearer })).statusCode, 204);
  t.equal((await app.inject({ method: 'GET', url: '/api/organisations/Z91005', headers: bearer })).statusCode, 404);
});

t.test('members link to organisations: CSV (unknown ODS code rejected with the reason) and API', async (t) => {
  const { db } = await freshDatabase(t);
  const app = await adminApp(db);
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/api/organisations/import', headers: csvHeaders, payload: SAMPLE_ORGANISATIONS_CSV });
  const file = [
    'name,phone,email,organisation,role,ods_code,contact_role',
    'Pat Primary,07700 900201,,Riverside,member,z91001,primary',
    'Dee Deputy,07700 900202,,Riverside,member,Z91001,Deputy',
    'Uma Unknown,07700 900203,,Nowhere,member,ZZZ99,',
    'Bea Bad,07700 900204,,Riverside,member,Z91001,boss',
    'Nia None,07700 900205,,,member,,',
    'Pru Orphan,07700 900206,,,member,,primary',
  ].join('\n');
  const r = await app.inject({ method: 'POST', url: '/api/members/import', headers: csvHeaders, payload: file });
  t.equal(r.statusCode, 200, r.body);
  const rows = r.json().rows;
  t.same(rows.map((x: { outcome: string }) => x.outcome), ['added', 'added', 'rejected', 'rejected', 'added', 'rejected']);
  t.equal(rows[2].reason, 'ods_code ZZZ99 is not in the directory');
  t.match(rows[3].reason, /contact_role "boss" is not one of primary, deputy, member/);
  t.match(rows[5].reason, /contact_role primary needs an ods_code/);
  const members = (await app.inject({ method: 'GET', url: '/api/members', headers: bearer })).json().members;
  t.same(members.map((m: { name: string; odsCode: string | null; contactRole: string }) => [m.name, m.odsCode, m.contactRole]), [
    ['Dee Deputy', 'Z91001', 'deputy'],
    ['Nia None', null, 'member'],
    ['Pat Primary', 'Z91001', 'primary'],
  ]);
  // A file without the columns keeps the links.
  const again = await app.inject({ method: 'POST', url: '/api/members/import', headers: csvHeaders, payload: 'name,phone,email,organisation,role\nPat Primary,07700 900201,,Riverside,member\n' });
  t.match(again.json(), { unchanged: 1 });

  const add = await app.inject({ method: 'POST', url: '/api/members', headers: jsonHeaders, payload: { name: 'Api Ann', phone: '07700 900210', odsCode: 'rzn', contactRole: 'primary' } });
  t.equal(add.statusCode, 201, add.body);
  t.match(add.json(), { odsCode: 'RZN', contactRole: 'primary' });
  const unknown = await app.inject({ method: 'POST', url: '/api/members', headers: jsonHeaders, payload: { name: 'Api Bob', phone: '07700 900211', odsCode: 'ZZZ99' } });
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json(), { error: 'unknown_organisation', message: /ZZZ99 is not in the directory/ });
  const orphan = await app.inject({ method: 'PATCH', url: `/api/members/${add.json().id}`, headers: jsonHeaders, payload: { odsCode: null } });
  t.equal(orphan.statusCode, 400, 'a primary contact cannot lose its organisation');
  t.equal((await app.inject({ method: 'DELETE', url: '/api/organisations/RZN', headers: bearer })).statusCode, 409, 'an organisation with members is not deleted');
});

t.test('GET /api/alerts/:n/organisations: JSON, CSV, state filter; the summary on GET /api/alerts/:n; demo members belong to the sample', async (t) => {
  const { db } = await freshDatabase(t);
  const T0 = new Date('2026-11-29T09:00:00Z');
  const app = await adminApp(db, () => new Date(T0.getTime() + 20 * 60_000));
  t.teardown(() => app.close());
  t.equal(await seedDemoMembers(db), 6);
  t.equal(Number((await db.selectFrom('organisations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 11, 'the sample directory came with them');
  const loner = await db.insertInto('members').values({ name: 'No Org', phone: '+447700900300' }).returning('id').executeTakeFirstOrThrow();
  const n = await raiseAlert(db, T0);
  const sam = await db.selectFrom('members').select('id').where('name', '=', 'Demo - Sam Patel').executeTakeFirstOrThrow();
  await sql`UPDATE deliveries SET acked_at = ${T0}, situation = 'need_help' WHERE alert_number = ${n} AND member_id = ${sam.id}`.execute(db);
  await sql`UPDATE deliveries SET acked_at = ${T0} WHERE alert_number = ${n} AND member_id = ${loner.id}`.execute(db);
  await sweepEscalations(db, testConfig(), new Date(T0.getTime() + 16 * 60_000));

  const all = await app.inject({ method: 'GET', url: `/api/alerts/${n}/organisations`, headers: bearer });
  t.equal(all.statusCode, 200, all.body);
  const body = all.json();
  t.match(body.summary, { targeted: 5, covered: 1, uncovered: 4, needHelp: 1, escalated: 4, noOrganisation: { recipients: 1, acknowledged: 1 } });
  const rzn = body.organisations.find((o: { odsCode: string }) => o.odsCode === 'RZN');
  t.match(rzn, { name: 'Northtown Teaching Hospitals NHS Foundation Trust', type: 'trust', recipients: 2, covered: false, situation: 'unknown' });
  t.ok(rzn.escalatedAt, 'escalated: Priya (deputy) was sent it');
  t.same(rzn.contacts.map((c: { name: string; contactRole: string }) => [c.name, c.contactRole]), [['Demo - Alex Morgan', 'primary'], ['Demo - Priya Shah', 'deputy']], 'who to phone');
  const qza = body.organisations.find((o: { odsCode: string }) => o.odsCode === 'QZA');
  t.match(qza, { covered: true, situation: 'need_help' });
  t.notOk('contacts' in qza, 'no contacts for a covered organisation');

  const need = (await app.inject({ method: 'GET', url: `/api/alerts/${n}/organisations?state=need_help`, headers: bearer })).json();
  t.same(need.organisations.map((o: { odsCode: string }) => o.odsCode), ['QZA']);
  const unc = (await app.inject({ method: 'GET', url: `/api/alerts/${n}/organisations?state=uncovered`, headers: bearer })).json();
  t.equal(unc.count, 4);
  t.equal((await app.inject({ method: 'GET', url: `/api/alerts/${n}/organisations?state=sideways`, headers: bearer })).statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: '/api/alerts/99/organisations', headers: bearer })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: `/api/alerts/${n}/organisations` })).statusCode, 401);

  const csv = await app.inject({ method: 'GET', url: `/api/alerts/${n}/organisations?state=uncovered`, headers: { ...bearer, accept: 'text/csv' } });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv/);
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.equal(lines[0], 'ods_code,name,type,region,recipients,delivered,acknowledged,covered,situation,need_help,affected,not_affected,escalated_at,contacts');
  t.equal(lines.length, 5, 'header and the four uncovered organisations');
  t.match(csv.body, /Demo - Alex Morgan \(primary\) \+447700900001; Demo - Priya Shah \(deputy\) \+447700900005/);

  const one = (await app.inject({ method: 'GET', url: `/api/alerts/${n}`, headers: bearer })).json();
  t.match(one.organisations, { targeted: 5, covered: 1, needHelp: 1 });
});
