// Number verification: a new member (API, CSV import) gets one welcome text asking for JOIN, queued
// in the transaction that added them; JOIN marks the number verified; other replies do not; a
// re-import sends nothing; the welcome can be sent again (not to an opted-out member); unverified
// and undeliverable numbers are listed for admins; alerts still reach unverified members.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { adminApp, bearer, markSent, raiseAlert, testConfig } from './helpers/alert-fixtures.js';
import { talker } from './helpers/conversation.js';
import { WELCOME_TEXT } from '../src/directory/verification.js';
import { parseCommand } from '../src/conversation/parse.js';
import { countSegments } from '../src/text/gsm7.js';
import { seedDemoMembers } from '../src/directory/demo.js';
import type { Database } from '../src/db/connect.js';

const T0 = new Date('2026-11-30T09:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

const welcomes = (db: Database) =>
  db.selectFrom('outbox').select(['member_id', 'recipient', 'body', 'priority', 'alert_number', 'created_at']).where('kind', '=', 'welcome').orderBy('id').execute();
const member = (db: Database, phone: string) => db.selectFrom('members').selectAll().where('phone', '=', phone).executeTakeFirstOrThrow();

t.test('the welcome text and the JOIN keyword', async (t) => {
  t.match(countSegments(WELCOME_TEXT), { encoding: 'gsm7', segments: 1 }, `one GSM-7 part (${WELCOME_TEXT.length} characters)`);
  t.match(WELCOME_TEXT, /Reply JOIN/);
  t.notMatch(WELCOME_TEXT, /\bYES\b/, 'never asks for YES (the threshold answer)');
  for (const s of ['JOIN', 'join', ' Join. ', 'JOIN!']) t.same(parseCommand(s), { kind: 'join' }, `"${s}" is JOIN`);
  for (const s of ['YES', 'Y']) t.same(parseCommand(s), { kind: 'yes' }, `"${s}" stays the raise answer`);
  t.equal(parseCommand('join the call at 3').kind, 'text', 'JOIN only alone');
  t.equal(parseCommand('JOINED').kind, 'text');
});

t.test('welcome once per new number; JOIN verifies; re-import and other replies change nothing', async (t) => {
  const { db } = await freshDatabase(t);
  let now = at(0);
  const app = await adminApp(db, () => now);
  t.teardown(() => app.close());
  const config = testConfig();

  // Added through the API: one welcome, in the same transaction as the member.
  const res = await app.inject({
    method: 'POST', url: '/api/members', headers: { ...bearer, 'content-type': 'application/json' },
    payload: { name: 'Nia Newcomer', phone: '07700 900201', organisation: 'Northtown Trust' },
  });
  t.equal(res.statusCode, 201);
  t.equal(res.json().verifiedAt, null, 'not verified yet');
  t.equal(res.json().welcomedAt, at(0).toISOString(), 'the welcome is recorded on the member');
  t.same(await welcomes(db), [{ member_id: res.json().id, recipient: '+447700900201', body: WELCOME_TEXT, priority: 2, alert_number: null, created_at: at(0) }],
    'one welcome, behind every broadcast (priority 2)');

  // Imported: each new number once; an existing one (Nia) is not welcomed again.
  now = at(1);
  const csv = 'name,phone,email,organisation,role\r\nNia Newcomer,07700900201,,Northtown Trust,member\r\nOla One,07700 900202,,Southtown,member\r\nTed Two,07700 900203,,Southtown,admin\r\nBad Row,12345,,X,member\r\n';
  const imp = await app.inject({ method: 'POST', url: '/api/members/import', headers: { ...bearer, 'content-type': 'text/csv' }, payload: csv });
  t.equal(imp.statusCode, 200);
  t.match(imp.json(), { added: 2, unchanged: 1, rejected: 1 });
  t.same((await welcomes(db)).map((w) => w.recipient), ['+447700900201', '+447700900202', '+447700900203'], 'the two new numbers welcomed once each');

  // The same file again, and with a change: nobody is welcomed again.
  now = at(2);
  const again = await app.inject({ method: 'POST', url: '/api/members/import', headers: { ...bearer, 'content-type': 'text/csv' }, payload: csv.replace('Southtown,admin', 'Southtown ICB,admin') });
  t.match(again.json(), { added: 0, updated: 1, unchanged: 2 });
  t.equal((await welcomes(db)).length, 3, 're-import sends no welcome');

  // Replies: anything but JOIN leaves the number unverified; JOIN verifies once.
  const ola = await member(db, '+447700900202');
  const olaPhone = talker(db, config, ola, () => now);
  const say = (text: string) => olaPhone.say(text);
  t.match(await say('YES'), /Nothing to answer/, 'YES is the raise answer, as before');
  t.match(await say('hello, who is this?'), /Not understood/);
  t.match(await say('OK'), /acknowledge|alert/i, 'OK is an ACK, as before');
  t.equal((await member(db, '+447700900202')).verified_at, null, 'unknown replies leave it unverified');
  now = at(5);
  t.equal(await say('Join.'), 'Thank you: your number is confirmed for Batsignal alerts. Text HELP for the commands.');
  t.same((await member(db, '+447700900202')).verified_at, at(5), 'JOIN marks the number verified');
  now = at(6);
  t.equal(await say('JOIN'), 'Your number is already confirmed for Batsignal alerts. Text HELP for the commands.');
  t.same((await member(db, '+447700900202')).verified_at, at(5), 'the first time is kept');
  t.equal((await member(db, '+447700900203')).verified_at, null, 'another member is untouched');

  // JOIN from an opted-out member verifies and says how to get alerts; it does not opt them in.
  const ted = await member(db, '+447700900203');
  await talker(db, config, ted, () => now).say('STOP');
  t.match(await talker(db, config, ted, () => now).say('JOIN'), /confirmed.*You have opted out of alert texts: text START to get them\./);
  t.equal((await member(db, '+447700900203')).opted_out, true, 'still opted out');

  // Filters for the members page.
  const list = async (q: string) => (await app.inject({ url: `/api/members?${q}`, headers: bearer })).json().members.map((m: { name: string }) => m.name);
  t.same(await list('verified=false'), ['Nia Newcomer'], 'unverified');
  t.same(await list('verified=true'), ['Ola One', 'Ted Two'], 'verified');

  // A new phone number for a member is a new number: verification starts again, with a welcome to it.
  now = at(7);
  const patched = await app.inject({ method: 'PATCH', url: `/api/members/${ola.id}`, headers: { ...bearer, 'content-type': 'application/json' }, payload: { phone: '07700 900222' } });
  t.equal(patched.statusCode, 200);
  t.equal(patched.json().verifiedAt, null, 'a changed number is not verified');
  t.same((await welcomes(db)).map((w) => w.recipient).slice(3), ['+447700900222'], 'the new number is welcomed');
  const renamed = await app.inject({ method: 'PATCH', url: `/api/members/${ola.id}`, headers: { ...bearer, 'content-type': 'application/json' }, payload: { name: 'Ola Uno', phone: '+447700900222' } });
  t.equal(renamed.statusCode, 200);
  t.equal((await welcomes(db)).length, 4, 'the same number again: no welcome');
});

t.test('resend, undeliverable numbers, and alerts reach unverified members', async (t) => {
  const { db } = await freshDatabase(t);
  let now = at(0);
  const app = await adminApp(db, () => now);
  t.teardown(() => app.close());
  const add = async (name: string, phone: string) =>
    (await app.inject({ method: 'POST', url: '/api/members', headers: { ...bearer, 'content-type': 'application/json' }, payload: { name, phone } })).json<{ id: number }>();
  const a = await add('Ann Able', '07700 900301');
  const b = await add('Ben Bad', '07700 900302');
  const c = await add('Cat Quiet', '07700 900303');

  // Verification never blocks alerts: all three are unverified and all three get the alert.
  const n = await raiseAlert(db, at(1));
  const got = await db.selectFrom('deliveries').select('member_id').where('alert_number', '=', n).orderBy('member_id').execute();
  t.same(got.map((d) => d.member_id), [a.id, b.id, c.id], 'unverified members receive the alert');
  t.equal(await db.selectFrom('outbox').select('id').where('kind', '=', 'alert').execute().then((r) => r.length), 3, 'and its text');

  // Ben's alert text fails: his number is undeliverable; Ann's is delivered.
  await markSent(db, n, at(2), { memberIds: [b.id], receipt: 'failed', error: 'absent subscriber' });
  await markSent(db, n, at(2), { memberIds: [a.id], receipt: 'delivered' });
  const undeliverable = (await app.inject({ url: '/api/members?undeliverable=true', headers: bearer })).json();
  t.same(undeliverable.members.map((m: { name: string }) => m.name), ['Ben Bad'], 'undeliverable: the failed receipt');
  t.match(undeliverable.members[0].lastText, { outcome: 'failed', error: 'absent subscriber', at: at(2).toISOString() });
  const ann = (await app.inject({ url: `/api/members/${a.id}`, headers: bearer })).json();
  t.match(ann.lastText, { outcome: 'delivered', error: null });
  t.equal((await app.inject({ url: `/api/members/${c.id}`, headers: bearer })).json().lastText, null, 'nothing final yet');

  // Resend: one more welcome to that member, recorded.
  now = at(10);
  const none = await app.inject({ method: 'POST', url: `/api/members/${b.id}/welcome` });
  t.equal(none.statusCode, 401, 'needs the admin token');
  const r = await app.inject({ method: 'POST', url: `/api/members/${b.id}/welcome`, headers: bearer });
  t.equal(r.statusCode, 200);
  t.equal(r.json().welcomedAt, at(10).toISOString());
  t.same((await welcomes(db)).map((w) => w.member_id), [a.id, b.id, c.id, b.id], 'the welcome went again to Ben only');
  t.equal((await app.inject({ method: 'POST', url: '/api/members/99999/welcome', headers: bearer })).statusCode, 404);

  // Never to a member who has opted out.
  await db.updateTable('members').set({ opted_out: true, opted_out_at: at(11) }).where('id', '=', c.id).execute();
  const out = await app.inject({ method: 'POST', url: `/api/members/${c.id}/welcome`, headers: bearer });
  t.equal(out.statusCode, 409);
  t.equal(out.json().error, 'opted_out');
  t.equal((await welcomes(db)).length, 4, 'nothing queued');

  // A delivered text after a failure: no longer undeliverable.
  await sql`UPDATE outbox SET state = 'sent', receipt_status = 'delivered', receipt_at = ${at(12)} WHERE kind = 'welcome' AND member_id = ${b.id} AND created_at = ${at(10)}`.execute(db);
  t.same((await app.inject({ url: '/api/members?undeliverable=true', headers: bearer })).json().members, [], 'the last text decides');
});

t.test('demo members are pre-verified and get no welcome', async (t) => {
  const { db } = await freshDatabase(t);
  t.ok((await seedDemoMembers(db)) > 0);
  const rows = await db.selectFrom('members').select(['verified_at', 'welcomed_at']).execute();
  t.ok(rows.every((r) => r.verified_at !== null && r.welcomed_at === null), 'verified, never welcomed');
  t.equal((await welcomes(db)).length, 0, 'the simulator phones stay quiet');
});
