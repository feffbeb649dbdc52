// ACK <n> through the inbound pipeline, where the intake runs the ACK in its own statement
// (converse.ackFirst, src/inbound/intake.ts): the same replies and the same rows as the conversation
// running it (test/ack.test.ts, through converse()), in 4 round trips, never for a duplicate or a
// stranger, and advisories still answered as advisories.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { connect, type Database } from '../src/db/connect.js';
import { freshDatabase } from './helpers/db.js';
import { insertMembers, talker } from './helpers/conversation.js';
import { raiseAlert, testConfig } from './helpers/alert-fixtures.js';
import { addContacts, addOrganisations } from './helpers/advisory-fixtures.js';
import { receiveInbound } from '../src/inbound/pipeline.js';
import { MEMBER_COLUMNS } from '../src/inbound/intake.js';
import { converse, ackWithoutState } from '../src/conversation/handle.js';
import { issueAdvisory } from '../src/advisories/issue.js';
import { parseAdvisoryRequest } from '../src/advisories/request.js';

const config = testConfig();
const T0 = new Date('2026-11-23T10:00:00Z');
const min = (m: number) => new Date(T0.getTime() + m * 60_000);

/** Texts `phone` sends through the pipeline; returns the outcome and the replies it queued. */
async function text(db: Database, phone: string, body: string, now: Date, messageId = randomBytes(8).toString('hex')) {
  const before = await db.selectFrom('outbox').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
  const r = await receiveInbound({ config, db, converse }, { messageId, msisdn: phone.slice(1), to: config.batsignalNumber, text: body, type: 'text', concat: undefined }, now);
  const replies = await db.selectFrom('outbox').select('body').where('id', '>', String(before?.max ?? 0)).where('recipient', '=', phone).orderBy('id').execute();
  return { outcome: r.outcome, replies: replies.map((x) => x.body).join('\n') };
}

t.test('ackWithoutState: ACK <n> and bare ACK (not OK, nor a number out of range)', async (t) => {
  t.equal(ackWithoutState('ACK 12', T0), 12);
  t.equal(ackWithoutState('ack12', T0), 12);
  t.equal(ackWithoutState('ACK 14 A81001', T0), 14);
  t.equal(ackWithoutState('OK 12', T0), undefined, 'OK may answer a raise in progress');
  t.equal(ackWithoutState('ACK', T0), null, 'bare ACK: the newest open alert');
  t.equal(ackWithoutState('OK', T0), undefined);
  t.equal(ackWithoutState('ACK 99999999999', T0), undefined);
  t.equal(ackWithoutState('HELP', T0), undefined);
});

t.test('ACK <n> through the pipeline: the replies and rows the conversation gives', async (t) => {
  const { db } = await freshDatabase(t);
  const [jane, bob, carol] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }, { name: 'Carol White' }]);
  const one = await raiseAlert(db, min(0), { raiserId: jane!.id });
  const two = await raiseAlert(db, min(1));
  // Carol had no delivery of #2: she joined after it.
  await db.deleteFrom('deliveries').where('alert_number', '=', two).where('member_id', '=', carol!.id).execute();

  const first = await text(db, bob!.phone, `ACK ${one}`, min(2), 'M-BOB-1');
  t.equal(first.outcome, 'processed');
  t.equal(first.replies, `Acknowledged #${one}. Thank you. Reply AFFECTED ${one}, NOT AFFECTED ${one} or NEED HELP ${one} <text> to say how it is. Still open for you: #${two} - reply ACK ${two}.`);
  const acked = await db.selectFrom('deliveries').select('acked_at').where('alert_number', '=', one).where('member_id', '=', bob!.id).executeTakeFirstOrThrow();
  t.same(acked.acked_at, min(2));

  const retry = await text(db, bob!.phone, `ACK ${one}`, min(3), 'M-BOB-1');
  t.same(retry, { outcome: 'duplicate', replies: '' }, 'a retried messageId: nothing again');
  t.match((await text(db, bob!.phone, `Ack ${one}`, min(4))).replies, /^Your acknowledgement of #1 was already recorded\. Still open for you: #2/);
  t.same((await db.selectFrom('deliveries').select('acked_at').where('alert_number', '=', one).where('member_id', '=', bob!.id).executeTakeFirstOrThrow()).acked_at, min(2), 'the time does not move');

  t.match((await text(db, jane!.phone, `ACK ${one}`, min(5))).replies, /^You raised #1, so there is nothing to acknowledge/);
  t.match((await text(db, carol!.phone, `ACK ${two}`, min(5))).replies, /^Alert #2 was not sent to you/);
  t.match((await text(db, carol!.phone, 'ACK 999', min(5))).replies, /^There is no alert #999\./);

  // Bare ACK: the newest open alert not yet acknowledged, then the one before it, then nothing.
  t.match((await text(db, jane!.phone, 'ACK', min(5))).replies, /^Acknowledged #2\. Thank you\./, 'Jane raised #1: only #2 is hers to acknowledge');
  t.match((await text(db, jane!.phone, 'ACK', min(5))).replies, /^Nothing to acknowledge/);
  t.match((await text(db, bob!.phone, 'ack', min(5))).replies, /^Acknowledged #2\./);

  // A stranger's ACK: the stranger reply, no delivery touched.
  const stranger = await text(db, '+447700900555', `ACK ${one}`, min(6));
  t.equal(stranger.outcome, 'stranger');
  t.equal((await sql<{ n: number }>`SELECT count(acked_at)::int AS n FROM deliveries`.execute(db)).rows[0]!.n, 3, 'Bob twice and Jane once, the stranger nothing');

  // The same texts through converse() alone (the talker) answer alike.
  const carolTalks = talker(db, config, carol!, () => min(7));
  t.match(await carolTalks.say(`ACK ${one}`), /^Acknowledged #1\. Thank you\./);
  t.match((await text(db, carol!.phone, `ACK ${one}`, min(8))).replies, /^Your acknowledgement of #1 was already recorded\./);
});

t.test('ACK <n> is 2 round trips on a warm connection: BEGIN, the lock and the intake with the ACK; the reply and COMMIT', async (t) => {
  const { db, url } = await freshDatabase(t);
  const [, bob, carol] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }, { name: 'Carol White' }]);
  const n = await raiseAlert(db, min(0));
  // One connection; a round trip ends with one ReadyForQuery from the server, so count those.
  let roundTrips = 0;
  const statements: string[] = [];
  const one = connect(url, 1, {
    onConnect: (client) => {
      (client as unknown as { connection: { on(e: string, f: () => void): void } }).connection.on('readyForQuery', () => roundTrips++);
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => (typeof a[0] === 'string' && statements.push(a[0]), query(...a));
    },
  });
  t.teardown(() => one.destroy());
  const ack = async (m: { id: number; phone: string }) => {
    roundTrips = 0;
    statements.length = 0;
    const r = await receiveInbound({ config, db: one, converse }, { messageId: `RT-${m.id}`, msisdn: m.phone.slice(1), to: config.batsignalNumber, text: `ACK ${n}`, type: 'text', concat: undefined }, min(1));
    t.equal(r.outcome, 'processed');
    return roundTrips;
  };
  // The first on a connection also parses the prepared statements: each goes on its own.
  t.equal(await ack(bob!), 5, 'first ACK on the connection: BEGIN, lock, intake (parsed), reply (parsed), COMMIT');
  t.equal(await ack(carol!), 2, 'then: [BEGIN, lock, intake] and [reply, COMMIT]');
  t.match(statements[0], /^\/\* deferred \*\/ BEGIN$/);
  t.match(statements[1], /^\/\* deferred \*\/ SELECT pg_advisory_xact_lock/);
  t.match(statements[2], /ack_u AS/);
  t.match(statements[3], /^\/\* deferred \*\/ \/\* prepared \*\/\s+INSERT INTO outbox /, 'the reply, prepared, deferred to the COMMIT');
  t.equal(statements[4], 'COMMIT');
  t.equal(statements.length, 5);
  const acked = await sql<{ n: number }>`SELECT count(acked_at)::int AS n FROM deliveries WHERE alert_number = ${n}`.execute(db);
  t.equal(acked.rows[0]!.n, 2, 'both acknowledged');
  const replies = await db.selectFrom('outbox').select(['recipient', 'body']).where('kind', '=', 'reply').orderBy('id').execute();
  t.same(replies.map((r) => r.recipient), [bob!.phone, carol!.phone], 'each reply written, with its COMMIT');
  t.match(replies[1]!.body, /^Acknowledged #1\. Thank you\./);
});

t.test('ACK <n> of an advisory through the pipeline is answered as the advisory', async (t) => {
  const { db } = await freshDatabase(t);
  const NOW = new Date('2026-12-01T09:00:00Z');
  await addOrganisations(db, [{ odsCode: 'RX1', name: 'Northtown Trust', type: 'trust' }]);
  const [ritaId] = await addContacts(db, [{ name: 'Rita Northtown', odsCode: 'RX1' }]);
  const rita = await db.selectFrom('members').selectAll().where('id', '=', ritaId!).executeTakeFirstOrThrow();
  await raiseAlert(db, NOW); // #1
  const req = parseAdvisoryRequest({ title: 'Juniper ScreenOS backdoor', body: 'Patch now.', severity: 'high', target: { types: ['trust'] } });
  if (!req.ok) throw new Error('bad request');
  const issued = await db.transaction().execute((trx) => issueAdvisory(trx, req.value, NOW, { email: false, via: 'api' }));
  // Bare ACK first: the newest open alert is the advisory.
  const r = await text(db, rita.phone, 'ACK', new Date(NOW.getTime() + 3_600_000));
  t.match(r.replies, new RegExp(`^Advisory #${issued.number}: ACK recorded for RX1 Northtown Trust`));
  t.match((await text(db, rita.phone, `ACK ${issued.number}`, new Date(NOW.getTime() + 3_600_000))).replies, new RegExp(`Advisory #${issued.number}`), 'ACK <n> of it: answered there too');
  t.match((await text(db, rita.phone, 'ACK', new Date(NOW.getTime() + 3_600_000))).replies, /^Acknowledged #1\./, 'bare ACK: the advisory is answered, so the peer alert next to it: an ACK as ever');
});

t.test('the intake names every members column (a prepared statement, so no SELECT *)', async (t) => {
  const { db } = await freshDatabase(t);
  const cols = await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_name = 'members' AND table_schema = current_schema()`.execute(db);
  t.same([...MEMBER_COLUMNS].sort(), cols.rows.map((r) => r.column_name).sort());
});

t.test('a prepared statement: the second ACK on a connection skips the parse, and answers alike', async (t) => {
  const { db, url } = await freshDatabase(t);
  const one = connect(url, 1);
  t.teardown(() => one.destroy());
  const [, bob, carol] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }, { name: 'Carol White' }]);
  const n = await raiseAlert(db, min(0));
  for (const m of [bob!, carol!]) {
    const r = await receiveInbound({ config, db: one, converse }, { messageId: `PREP-${m.id}`, msisdn: m.phone.slice(1), to: config.batsignalNumber, text: `ACK ${n}`, type: 'text', concat: undefined }, min(1));
    t.equal(r.outcome, 'processed');
  }
  const prepared = await sql<{ n: number }>`SELECT count(acked_at)::int AS n FROM deliveries WHERE alert_number = ${n}`.execute(db);
  t.equal(prepared.rows[0]!.n, 2);
  const named = await one.connection().execute((c) => sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(c));
  t.ok(named.rows.some((r) => r.name.startsWith('batsignal_')), 'the intake is a named prepared statement on its connection');
});

t.test('a deferred statement that fails fails its batch: the webhook rolls back whole, and the connection is clean after', async (t) => {
  const { db, url } = await freshDatabase(t);
  const [, bob] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }]);
  const n = await raiseAlert(db, min(0));
  const one = connect(url, 1);
  t.teardown(() => one.destroy());
  const sms = (id: string, text: string) => ({ messageId: id, msisdn: bob!.phone.slice(1), to: config.batsignalNumber, text, type: 'text' as const, concat: undefined });
  // Warm the connection (prepared statements parsed), so what follows goes in batches.
  t.equal((await receiveInbound({ config, db: one, converse }, sms('WARM-1', 'HELP'), min(1))).outcome, 'processed');

  // The reply's insert fails at COMMIT time (it travels with COMMIT): nothing of the ACK remains.
  await sql`CREATE FUNCTION refuse_reply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no replies today'; END $$`.execute(db);
  await sql`CREATE TRIGGER refuse_reply BEFORE INSERT ON outbox FOR EACH ROW WHEN (NEW.kind = 'reply') EXECUTE FUNCTION refuse_reply()`.execute(db);
  await t.rejects(receiveInbound({ config, db: one, converse }, sms('FAIL-1', `ACK ${n}`), min(2)), /no replies today/);
  const acked = await db.selectFrom('deliveries').select('acked_at').where('alert_number', '=', n).where('member_id', '=', bob!.id).executeTakeFirstOrThrow();
  t.equal(acked.acked_at, null, 'the ACK rolled back with its reply');
  t.equal(await db.selectFrom('inbound_messages').select('message_id').where('message_id', '=', 'FAIL-1').executeTakeFirst(), undefined, 'not marked seen: the retry will bring it again');

  // The same connection: not left in an aborted transaction, nothing left waiting on it.
  await sql`DROP TRIGGER refuse_reply ON outbox`.execute(db);
  const again = await receiveInbound({ config, db: one, converse }, sms('FAIL-1', `ACK ${n}`), min(3));
  t.equal(again.outcome, 'processed', 'the retry is processed');
  t.ok((await db.selectFrom('deliveries').select('acked_at').where('alert_number', '=', n).where('member_id', '=', bob!.id).executeTakeFirstOrThrow()).acked_at);
  const state = await one.connection().execute((c) => sql<{ s: string }>`SELECT 'idle' AS s`.execute(c));
  t.equal(state.rows[0]!.s, 'idle');

  // A statement of the first batch failing (the intake's insert) also rolls back, and the connection is clean.
  await sql`CREATE FUNCTION refuse_text() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no texts today'; END $$`.execute(db);
  await sql`CREATE TRIGGER refuse_text BEFORE INSERT ON inbound_messages FOR EACH ROW EXECUTE FUNCTION refuse_text()`.execute(db);
  await t.rejects(receiveInbound({ config, db: one, converse }, sms('FAIL-2', 'HELP'), min(4)), /no texts today/);
  await sql`DROP TRIGGER refuse_text ON inbound_messages`.execute(db);
  t.equal((await receiveInbound({ config, db: one, converse }, sms('FAIL-2', 'HELP'), min(5))).outcome, 'processed');
  const helps = await db.selectFrom('outbox').select('body').where('kind', '=', 'reply').orderBy('id').execute();
  t.equal(helps.length, 3, 'HELP, the ACK retried, HELP retried: one reply each, none from the failures');
});
