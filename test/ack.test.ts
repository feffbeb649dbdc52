// ACK by text, through converse() on a real database.
import t from 'tap';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DB } from '../src/db/schema.js';
import { converse } from '../src/conversation/handle.js';
import { loadConfig } from '../src/config.js';
import { createAlert } from '../src/alerts/create.js';
import type { Database } from '../src/db/connect.js';
import type { Member } from '../src/db/schema.js';
import { freshDatabase } from './helpers/db.js';
import { insertMembers, talker } from './helpers/conversation.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const min = (m: number) => new Date(T0.getTime() + m * 60_000);
const config = loadConfig({});

async function raise(db: Database, by: Member, summary: string, at: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const r = await createAlert(trx, { raiserId: by.id, raiserName: by.name, raiserOrg: by.organisation, summary, exercise: false, source: 'sms' }, at);
    return r.alert.number;
  });
}

async function setup(t: Parameters<typeof freshDatabase>[0]) {
  const { db } = await freshDatabase(t);
  const [jane, bob, chloe] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }, { name: 'Chloe Price' }]);
  const ackedAt = async (alert: number, m: Member) =>
    (await db.selectFrom('deliveries').select('acked_at').where('alert_number', '=', alert).where('member_id', '=', m.id).executeTakeFirstOrThrow()).acked_at;
  return { db, jane: jane!, bob: bob!, chloe: chloe!, ackedAt, say: (m: Member, at = min(5)) => talker(db, config, m, () => at) };
}

t.test('ACK variants are understood', async (t) => {
  const { db, jane, bob, ackedAt } = await setup(t);
  await raise(db, jane, 'Ransomware', min(0));
  const variants = ['ack 1', 'Ack 1.', 'ACK #1', 'ack1', ' ACK   1 ', 'OK 1', 'Okay #1', 'Acknowledged 1', 'ACK 1 thanks, checking now'];
  for (const v of variants) {
    await db.updateTable('deliveries').set({ acked_at: null }).execute();
    t.equal(await talker(db, config, bob, () => min(5)).say(v), 'Acknowledged #1. Thank you. Reply AFFECTED 1, NOT AFFECTED 1 or NEED HELP 1 <text> to say how it is.', v);
    t.same(await ackedAt(1, bob), min(5), `${v}: recorded`);
  }
});

t.test('ACK twice: the second says it was already recorded, and the time does not move', async (t) => {
  const { db, jane, bob, ackedAt } = await setup(t);
  await raise(db, jane, 'Ransomware', min(0));
  t.equal(await talker(db, config, bob, () => min(3)).say('ACK 1'), 'Acknowledged #1. Thank you. Reply AFFECTED 1, NOT AFFECTED 1 or NEED HELP 1 <text> to say how it is.');
  t.equal(await talker(db, config, bob, () => min(9)).say('ack 1'), 'Your acknowledgement of #1 was already recorded.');
  t.same(await ackedAt(1, bob), min(3));
});

t.test('bare ACK takes the newest open alert not yet acknowledged, and lists the others', async (t) => {
  const { db, jane, bob, chloe, ackedAt } = await setup(t);
  await raise(db, jane, 'First', min(0));
  await raise(db, chloe, 'Second', min(1));
  const b = talker(db, config, bob, () => min(5));
  t.equal(await b.say('ACK'), 'Acknowledged #2. Thank you. Reply AFFECTED 2, NOT AFFECTED 2 or NEED HELP 2 <text> to say how it is. Still open for you: #1 - reply ACK 1.');
  t.same(await ackedAt(2, bob), min(5));
  t.equal(await ackedAt(1, bob), null, '#1 untouched');
  t.equal(await b.say('ack'), 'Acknowledged #1. Thank you. Reply AFFECTED 1, NOT AFFECTED 1 or NEED HELP 1 <text> to say how it is.');
  t.match(await b.say('ACK'), /^Nothing to acknowledge: you have no open alerts waiting for an ACK/);
  // an explicit ACK of an older alert lists the newer one still open
  await raise(db, jane, 'Third', min(6));
  await raise(db, jane, 'Fourth', min(7));
  t.equal(await b.say('ACK 3'), 'Acknowledged #3. Thank you. Reply AFFECTED 3, NOT AFFECTED 3 or NEED HELP 3 <text> to say how it is. Still open for you: #4 - reply ACK 4.');
});

t.test('bare ACK passes over closed alerts; ACK <n> of a closed alert is still recorded', async (t) => {
  const { db, jane, bob, ackedAt } = await setup(t);
  await raise(db, jane, 'First', min(0));
  await raise(db, jane, 'Second', min(1));
  await db.updateTable('alerts').set({ status: 'closed', closed_at: min(2) }).where('number', '=', 2).execute();
  const b = talker(db, config, bob, () => min(5));
  t.equal(await b.say('ACK'), 'Acknowledged #1. Thank you. Reply AFFECTED 1, NOT AFFECTED 1 or NEED HELP 1 <text> to say how it is.');
  t.equal(await b.say('ACK 2'), 'Acknowledged #2. Thank you. Reply AFFECTED 2, NOT AFFECTED 2 or NEED HELP 2 <text> to say how it is.');
  t.same(await ackedAt(2, bob), min(5));
});

t.test('ACK for an alert that does not exist, or that was never sent to this member', async (t) => {
  const { db, jane, bob } = await setup(t);
  await raise(db, jane, 'First', min(0));
  const [late] = await insertMembers(db, [{ name: 'Late Joiner' }], 200);
  t.equal(await talker(db, config, bob, () => min(5)).say('ACK 99'), 'There is no alert #99. Check the number in the alert text, or reply ACK alone for your newest alert.');
  t.match(await talker(db, config, bob, () => min(5)).say('ACK 99999999999'), /^There is no alert #99999999999\./, 'beyond an integer');
  t.equal(await talker(db, config, late!, () => min(5)).say('ACK 1'), 'Alert #1 was not sent to you, so there is nothing to acknowledge. Reply ACK alone for your newest alert.');
  t.equal(await talker(db, config, jane, () => min(5)).say('ACK 1'), 'You raised #1, so there is nothing to acknowledge. Text STATUS 1 for its acknowledgements.');
  t.match(await talker(db, config, late!, () => min(5)).say('ACK'), /^Nothing to acknowledge/);
  const acked = await db.selectFrom('deliveries').select('member_id').where('acked_at', 'is not', null).execute();
  t.same(acked, [], 'nothing recorded');
});

t.test('ACK before any delivery receipt, before the text was even sent', async (t) => {
  const { db, jane, bob, ackedAt } = await setup(t);
  await raise(db, jane, 'First', min(0));
  const row = await db.selectFrom('outbox').select(['state', 'receipt_status']).where('member_id', '=', bob.id).where('kind', '=', 'alert').executeTakeFirstOrThrow();
  t.same(row, { state: 'pending', receipt_status: null }, 'still queued');
  t.equal(await talker(db, config, bob, () => min(1)).say('ACK 1'), 'Acknowledged #1. Thank you. Reply AFFECTED 1, NOT AFFECTED 1 or NEED HELP 1 <text> to say how it is.');
  t.same(await ackedAt(1, bob), min(1));
});

t.test('ACK touches neither the conversation nor a raise in progress', async (t) => {
  const { db, jane, bob } = await setup(t);
  await raise(db, jane, 'First', min(0));
  const b = talker(db, config, bob, () => min(2));
  await b.say('RAISE Something else');
  const before = await db.selectFrom('conversations').selectAll().where('member_id', '=', bob.id).executeTakeFirstOrThrow();
  t.equal(await b.say('ACK 1'), 'Acknowledged #1. Thank you. Reply AFFECTED 1, NOT AFFECTED 1 or NEED HELP 1 <text> to say how it is.');
  const after = await db.selectFrom('conversations').selectAll().where('member_id', '=', bob.id).executeTakeFirstOrThrow();
  t.same(after, before, 'conversation row unchanged (not even updated_at)');
  t.match(await b.say('YES'), /^Alert to 2 members: "Something else"/, 'the raise carries on');
});

t.test('many open alerts: the list is capped', async (t) => {
  const { db, jane, bob } = await setup(t);
  for (let i = 0; i < 6; i++) await raise(db, jane, `Alert ${i}`, min(i));
  t.equal(await talker(db, config, bob, () => min(9)).say('ACK'), 'Acknowledged #6. Thank you. Reply AFFECTED 6, NOT AFFECTED 6 or NEED HELP 6 <text> to say how it is. Still open for you: #5, #4, #3 and more - reply ACK 5, ACK 4, ACK 3.');
});

t.test('the ACK path stays small: one statement for the ACK (advisory check included), then the reply into the outbox', async (t) => {
  const { db, url } = await freshDatabase(t);
  const [jane, bob] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }]);
  await raise(db, jane!, 'First', min(0));
  const statements: string[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {}); // the database is dropped WITH (FORCE) at teardown, maybe before this pool ends
  const counted = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (e) => void statements.push(e.query.sql) });
  t.teardown(() => counted.destroy());
  for (const text of ['ACK 1', 'ACK']) {
    statements.length = 0;
    await counted.transaction().execute((trx) => converse(trx, { config }, bob!, text, min(2)));
    const work = statements.filter((s) => !/^(begin|commit)$/.test(s));
    // Two: the ACK (whose statement also says whether the target is an advisory, as advisories share
    // the numbers), the reply into the outbox. No NOTIFY inside the transaction.
    t.equal(work.length, 2, `${text}: ack with its advisory check, outbox insert: ${JSON.stringify(work.map((s) => s.trim().slice(0, 30)))}`);
    t.notOk(statements.some((s) => /conversations|count\(\*\)::int AS n FROM members/.test(s)), `${text}: no conversation read, no audience count`);
  }
});
