// CSV import through POST /api/members/import: per-row outcomes, idempotence, the rows that must be
// refused, the files that must be refused whole, and 5,000 rows in one go.
import t, { type Test } from 'tap';
import { freshDatabase } from './helpers/db.js';
import { buildApp } from '../src/app.js';
import type { AppDeps } from '../src/deps.js';
import { loadConfig } from '../src/config.js';
import type { ImportReport } from '../src/directory/import.js';

const TOKEN = 'test-admin-token-123456';

async function setup(t: Test) {
  const { db } = await freshDatabase(t);
  const deps: AppDeps = { config: loadConfig({ ADMIN_TOKEN: TOKEN }), db, clock: () => new Date(), adminTokens: [TOKEN] };
  const app = await buildApp(deps);
  t.teardown(() => app.close());
  const upload = (csv: string | Buffer, type = 'text/csv; charset=utf-8') =>
    app.inject({ method: 'POST', url: '/api/members/import', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type }, payload: csv });
  const members = () => db.selectFrom('members').selectAll().orderBy('id').execute();
  return { db, app, upload, members };
}

const GOOD = [
  'Name, Phone ,EMAIL,organisation,Role',
  'Jane Smith,07700 900123,jane@northtown.nhs.uk,Northtown Trust,admin',
  '"Okafor, Chris",+44 7700 900124,,"Southtown ICB",member',
  'Sam Patel,447700900125,sam@example.org,Eastfield,',
].join('\r\n');

t.test('good rows are added; the same file again changes nothing', async (t) => {
  const { upload, members } = await setup(t);
  const first = await upload(GOOD);
  t.equal(first.statusCode, 200);
  const r = first.json<ImportReport>();
  t.match(r, { added: 3, updated: 0, unchanged: 0, rejected: 0 });
  t.same(r.rows.map((x) => [x.row, x.outcome, x.phone]), [
    [2, 'added', '+447700900123'], [3, 'added', '+447700900124'], [4, 'added', '+447700900125'],
  ]);
  const rows = await members();
  t.same(rows.map((m) => [m.name, m.phone, m.email, m.organisation, m.role]), [
    ['Jane Smith', '+447700900123', 'jane@northtown.nhs.uk', 'Northtown Trust', 'admin'],
    ['Okafor, Chris', '+447700900124', null, 'Southtown ICB', 'member'],
    ['Sam Patel', '+447700900125', 'sam@example.org', 'Eastfield', 'member'],
  ]);
  t.same(r.rows.map((x) => x.id), rows.map((m) => m.id));

  const again = (await upload(GOOD)).json<ImportReport>();
  t.match(again, { added: 0, updated: 0, unchanged: 3, rejected: 0 });
  t.same(again.rows.map((x) => x.id), rows.map((m) => m.id), 'unchanged rows still name their member');
  t.same((await members()).map((m) => m.updated_at), rows.map((m) => m.updated_at), 'not even updated_at moves');
});

t.test('same phone in another format updates; opted_out is never touched by an import', async (t) => {
  const { upload, members, db } = await setup(t);
  await upload(GOOD);
  await db.updateTable('members').set({ opted_out: true, opted_out_at: new Date() }).where('phone', '=', '+447700900124').execute();
  const csv = [
    'name,phone,email,organisation,role,forum_username',
    'Jane Smith,+44 (0)7700 900123,jane@northtown.nhs.uk,Northtown Trust,admin,jane_s',
    '"Okafor, Chris",07700-900-124,chris@southtown.nhs.uk,Southtown ICB,member,',
    'New Person,07700900126,,Westbury,member,',
  ].join('\n');
  const r = (await upload(csv)).json<ImportReport>();
  t.match(r, { added: 1, updated: 2, unchanged: 0, rejected: 0 });
  const rows = await members();
  t.equal(rows.length, 4, 'never a duplicate');
  t.match(rows[0], { forum_username: 'jane_s' });
  t.match(rows[1], { email: 'chris@southtown.nhs.uk', opted_out: true }, 'still opted out');
  // A file without forum_username leaves the usernames alone.
  const r2 = (await upload(GOOD)).json<ImportReport>();
  t.match(r2, { updated: 1, unchanged: 2 }, 'only Chris changed back (email)');
  t.equal((await members())[0]!.forum_username, 'jane_s');
});

t.test('bad rows are rejected with their row and reason; the good ones are saved', async (t) => {
  const { upload, members, db } = await setup(t);
  await db.insertInto('members').values({ name: 'Holder', phone: '+447700900199', forum_username: 'taken' }).execute();
  const csv = [
    'name,phone,email,organisation,role,forum_username',
    'Good One,07700900101,,Trust A,member,',                 // 2
    'Bad Number,07700 12,,Trust A,member,',                  // 3
    'Duplicate,+447700900101,,Trust A,member,',              // 4
    'Too,Many,Cells,Here,member,x,y',                        // 5
    'Bad Email,07700900102,not-an-email,Trust A,member,',    // 6
    'Bad Role,07700900103,,Trust A,owner,',                  // 7
    ',07700900104,,Trust A,member,',                         // 8
    'Stray "quote,07700900105,,Trust A,member,',             // 9
    'Good Two,07700900106,,Trust B,admin,good2',             // 10
    'Same Forum,07700900107,,Trust B,member,GOOD2',          // 11
    'Forum Taken,07700900108,,Trust B,member,Taken',         // 12
    'Bad Intl,+1 123 456 7890,,Trust C,member,',             // 13
    ',,,,,',                                                  // 14: blank spreadsheet row, skipped
    'Good Three,+1 212 736 5000,,Trust C,member,',           // 15
    'Nul\u0000Name,07700900109,,Trust C,member,',             // 16
  ].join('\n');
  const res = await upload(csv);
  t.equal(res.statusCode, 200);
  const r = res.json<ImportReport>();
  t.match(r, { added: 3, rejected: 11 });
  const byRow = Object.fromEntries(r.rows.map((x) => [x.row, x]));
  t.match(byRow[2], { outcome: 'added' });
  t.match(byRow[3], { outcome: 'rejected', reason: /"07700 12" is not a valid GB number/ });
  t.match(byRow[4], { outcome: 'rejected', reason: 'same phone number as row 2', phone: '+447700900101' });
  t.match(byRow[5], { outcome: 'rejected', reason: 'has 7 cells; the header has 6' });
  t.match(byRow[6], { outcome: 'rejected', reason: /not an email address/ });
  t.match(byRow[7], { outcome: 'rejected', reason: /role must be member or admin/ });
  t.match(byRow[8], { outcome: 'rejected', reason: 'name is empty' });
  t.match(byRow[9], { outcome: 'rejected', reason: /could not be read: Invalid Opening Quote/ });
  t.match(byRow[10], { outcome: 'added' });
  t.match(byRow[11], { outcome: 'rejected', reason: 'same forum username as row 10' });
  t.match(byRow[12], { outcome: 'rejected', reason: 'forum username Taken belongs to another member' });
  t.match(byRow[13], { outcome: 'rejected', reason: /is not a valid international number/ });
  t.notOk(byRow[14]);
  t.match(byRow[15], { outcome: 'added', phone: '+12127365000' });
  t.match(byRow[16], { outcome: 'rejected', reason: 'name contains control or invalid characters' }, 'a NUL loses its row, not the file');
  t.same((await members()).map((m) => m.name), ['Holder', 'Good One', 'Good Two', 'Good Three']);
});

t.test('a file that cannot be a member list is refused whole: 4xx, nothing written', async (t) => {
  const { upload, members, app } = await setup(t);
  const cases: [string, Awaited<ReturnType<typeof upload>>, number, RegExp][] = [
    ['unknown column', await upload('name,phone,email,organisation,role,mobile\nA,07700900101,,,,'), 400, /Unknown column "mobile"/],
    ['missing column', await upload('name,phone,organisation\nA,07700900101,X'), 400, /missing the columns email, role/],
    ['repeated column', await upload('name,phone,email,organisation,role,phone\nA,1,,,,2'), 400, /"phone" appears twice/],
    ['empty file', await upload(''), 400, /empty/],
    ['not CSV at all', await upload('{"name": "A"}', 'application/json'), 415, /text\/csv/],
    ['no content type', await upload('name,phone,email,organisation,role\n', ''), 415, /text\/csv/],
    ['oversized', await upload('name,phone,email,organisation,role\n' + 'x'.repeat(5 * 1024 * 1024)), 413, /too large/i],
  ];
  for (const [what, res, status, message] of cases) {
    t.equal(res.statusCode, status, what);
    t.match(res.json(), { error: String, message }, what);
  }
  t.same(await members(), []);
  // A header-only file is fine: nothing to do.
  t.match((await upload('name,phone,email,organisation,role\n')).json(), { added: 0, rejected: 0, rows: [] });
  t.equal((await app.inject({ method: 'POST', url: '/api/members/import', headers: { 'content-type': 'text/csv' }, payload: GOOD })).statusCode, 401);
});

t.test('5,000 rows in one import, then again: all unchanged', async (t) => {
  const { upload, members } = await setup(t);
  const lines = ['name,phone,email,organisation,role'];
  // 07400 1xxxxx: valid UK mobiles, written in three formats.
  for (let i = 0; i < 5000; i++) {
    const n = String(100000 + i);
    const phone = i % 3 === 0 ? `07400 ${n}` : i % 3 === 1 ? `+447400${n}` : `447400${n}`;
    lines.push(`Member ${i},${phone},m${i}@example.nhs.uk,Trust ${i % 40},${i % 100 === 0 ? 'admin' : 'member'}`);
  }
  const csv = lines.join('\n');
  const first = (await upload(csv)).json<ImportReport>();
  t.match(first, { added: 5000, updated: 0, unchanged: 0, rejected: 0 });
  t.equal(first.rows.length, 5000);
  const rows = await members();
  t.equal(rows.length, 5000);
  t.equal(rows.filter((m) => m.role === 'admin').length, 50);
  t.match(rows[4999], { name: 'Member 4999', phone: '+447400104999' });
  const again = (await upload(csv)).json<ImportReport>();
  t.match(again, { added: 0, updated: 0, unchanged: 5000, rejected: 0 });
  t.equal((await members()).length, 5000);
});

t.test('spreadsheet exports as Excel writes them: Windows-1252, UTF-8 with BOM, UTF-16, a named charset', async (t) => {
  const { upload, members } = await setup(t);
  const header = 'name,phone,email,organisation,role\r\n';
  const utf8Bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(header + 'Zoë Brontë,07700900201,,Trust,member\r\n')]);
  // "CSV (Comma delimited)": Windows-1252, where ë is the single byte 0xEB (not valid UTF-8).
  const cp1252 = Buffer.from(header + 'Renée Faß,07700900202,,Trust £,member\r\n', 'latin1');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header + 'Łukasz Nowak,07700900203,,Trust,member\r\n', 'utf16le')]);
  const named = Buffer.from(header + 'Chloé Martin,07700900204,,Trust,member\r\n', 'latin1');
  for (const [what, body, type] of [
    ['UTF-8 with BOM', utf8Bom, 'text/csv'], ['Windows-1252', cp1252, 'text/csv'], ['UTF-16LE', utf16, 'text/csv'],
    ['charset=iso-8859-1', named, 'text/csv; charset=iso-8859-1'],
  ] as const) {
    const res = await upload(body, type);
    t.equal(res.statusCode, 200, what);
    t.match(res.json(), { added: 1, rejected: 0 }, what);
  }
  t.same((await members()).map((m) => [m.name, m.organisation]), [
    ['Zoë Brontë', 'Trust'], ['Renée Faß', 'Trust £'], ['Łukasz Nowak', 'Trust'], ['Chloé Martin', 'Trust'],
  ]);
  const bad = await upload(Buffer.from(header), 'text/csv; charset=klingon');
  t.equal(bad.statusCode, 415);
  t.match(bad.json(), { error: 'unsupported_charset', message: /Unknown charset "klingon"/ });
});

t.test('an unclosed quote names the row it opened on; semicolon and tab files are told what to do', async (t) => {
  const { upload, members } = await setup(t);
  const unclosed = (await upload('name,phone,email,organisation,role\nA,07700900301,,,\n"B,07700900302,,,\nC,07700900303,,,\nD,07700900304,,,\n')).json<ImportReport>();
  t.match(unclosed, { added: 1, rejected: 1 });
  t.match(unclosed.rows[1], { row: 3, outcome: 'rejected', reason: /quote \("\) that is never closed, so this row and the 2 lines after it could not be read/ });
  t.same((await members()).map((m) => m.name), ['A'], 'the rows before it are saved');
  for (const [sep, word] of [[';', 'semicolons'], ['\t', 'tabs']] as const) {
    const res = await upload(['name', 'phone', 'email', 'organisation', 'role'].join(sep) + '\nA' + sep + '07700900305\n');
    t.equal(res.statusCode, 400, word);
    t.match(res.json(), { error: 'invalid_csv', message: `separated by ${word}; save the file as CSV (comma separated)` });
  }
  const header = await upload('name,"phone,email,organisation,role\nA,07700900306,,,\n');
  t.match(header.json(), { error: 'invalid_csv', message: /The header row has a quote \("\) that is never closed/ });
  t.equal((await members()).length, 1);
});
