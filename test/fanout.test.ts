// Broadcasts written in batches (src/alerts/fanout.ts): the alert commits with its first recipients,
// the fan-out worker writes the rest; every audience member gets exactly one text and one delivery,
// whoever writes the batches, however they interleave.
import t from 'tap';
import fc from 'fast-check';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs } from './helpers/alert-fixtures.js';
import { createAlert, type NewAlert } from '../src/alerts/create.js';
import { continueFanOut, startFanOutWorker } from '../src/alerts/fanout.js';
import { sendFollowUp } from '../src/alerts/followup.js';
import { broadcastText } from '../src/alerts/text.js';
import type { Database } from '../src/db/connect.js';

const T0 = new Date('2026-11-30T09:00:00Z');
const alertBy = (raiserId: number | null): NewAlert => ({
  raiserId, raiserName: 'Jane Smith', raiserOrg: 'Northtown Trust', summary: 'Ransomware on the N3 link', exercise: false, source: 'admin',
});

async function raise(db: Database, raiserId: number | null, inline: number, channels?: { smtp: boolean }) {
  return db.transaction().execute((trx) => createAlert(trx, alertBy(raiserId), T0, channels, inline));
}

/** Per member: texts of kind 'alert' and deliveries for alert n. */
async function written(db: Database, n: number) {
  const r = await sql<{ member_id: number; texts: number; deliveries: number; emails: number; body: string | null; recipient: string | null }>`
    SELECT m.id AS member_id,
      (SELECT count(*)::int FROM outbox o WHERE o.alert_number = ${n} AND o.channel = 'email' AND o.member_id = m.id) AS emails,
      (SELECT count(*)::int FROM outbox o WHERE o.alert_number = ${n} AND o.channel = 'sms' AND o.kind = 'alert' AND o.member_id = m.id) AS texts,
      (SELECT count(*)::int FROM deliveries d WHERE d.alert_number = ${n} AND d.member_id = m.id) AS deliveries,
      (SELECT max(o.body) FROM outbox o WHERE o.alert_number = ${n} AND o.channel = 'sms' AND o.kind = 'alert' AND o.member_id = m.id) AS body,
      (SELECT max(o.recipient) FROM outbox o WHERE o.alert_number = ${n} AND o.channel = 'sms' AND o.kind = 'alert' AND o.member_id = m.id) AS recipient
    FROM members m ORDER BY m.id`.execute(db);
  return r.rows;
}

async function alertRow(db: Database, n: number) {
  return db.selectFrom('alerts').select(['recipient_count', 'fanout_after']).where('number', '=', n).executeTakeFirstOrThrow();
}

async function addOrganisation(db: Database): Promise<void> {
  await db.insertInto('organisations').values({
    ods_code: 'RX1', name: 'RX1 Trust', type: 'trust', region: null, parent_ods_code: null, it_support_ods_code: null, routing: null, products: null,
  }).execute();
}

async function drain(db: Database, limit: number): Promise<number> {
  let batches = 0;
  while ((await continueFanOut(db, T0, limit)) !== null) batches++;
  return batches;
}

t.test('an audience within the first batch is complete at commit', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(5));
  const { alert, recipientCount } = await raise(db, null, 5 + 1);
  t.equal(recipientCount, 5);
  t.same(await alertRow(db, alert.number), { recipient_count: 5, fanout_after: null });
  t.equal(await continueFanOut(db, T0), null, 'nothing left for the worker');
  t.same((await written(db, alert.number)).map((w) => [w.texts, w.deliveries]), Array(5).fill([1, 1]));
});

t.test('exactly the first batch at commit: the worker finds nothing more', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(4));
  const { alert } = await raise(db, null, 4);
  const row = await alertRow(db, alert.number);
  t.equal(row.recipient_count, 4);
  t.not(row.fanout_after, null, 'a full first batch may have more after it');
  t.equal(await drain(db, 10), 1);
  t.same(await alertRow(db, alert.number), { recipient_count: 4, fanout_after: null });
});

t.test('a larger audience: first batch at commit, the rest in batches, in member order, once each', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(12));
  const [raiser, deputy, optedOut] = ids as [number, number, number];
  await addOrganisation(db);
  await sql`UPDATE members SET contact_role = 'deputy', ods_code = 'RX1' WHERE id = ${deputy}`.execute(db);
  await sql`UPDATE members SET opted_out = true WHERE id = ${optedOut}`.execute(db);
  const { alert, recipientCount } = await raise(db, raiser, 3);
  t.equal(recipientCount, 9, 'announced with the whole audience: 12 less the raiser, a deputy and an opted-out member');
  t.equal(alert.recipient_count, 9);
  const first = await written(db, alert.number);
  t.equal(first.filter((w) => w.texts === 1).length, 3, 'the first 3 at commit');
  t.same(first.filter((w) => w.texts === 1).map((w) => w.member_id), ids.slice(3, 6), 'the lowest ids first');
  t.equal((await alertRow(db, alert.number)).fanout_after, ids[5]);

  t.equal(await drain(db, 2), 4, '6 more in batches of 2, and one finding none after a full batch');
  const all = await written(db, alert.number);
  const body = broadcastText({ number: alert.number, raiserName: 'Jane Smith', raiserOrg: 'Northtown Trust', summary: 'Ransomware on the N3 link', exercise: false });
  for (const w of all) {
    const expected = [raiser, deputy, optedOut].includes(w.member_id) ? 0 : 1;
    t.equal(w.texts, expected, `member ${w.member_id}: ${expected} text`);
    t.equal(w.deliveries, expected, `member ${w.member_id}: ${expected} delivery`);
    if (expected) t.equal(w.body, body);
  }
  t.same(await alertRow(db, alert.number), { recipient_count: 9, fanout_after: null });
  const order = await sql<{ member_id: number }>`SELECT member_id FROM outbox WHERE alert_number = ${alert.number} ORDER BY id`.execute(db);
  t.same(order.rows.map((r) => r.member_id), ids.slice(3), 'texts queued in member order');
});

t.test('emails follow the texts\' batches: the deciding transaction writes the first range only', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(10));
  await sql`UPDATE members SET email = 'm' || id || '@nhs.net'`.execute(db);
  // The last member opted out of texts: no text, so no batch of texts reaches their id; still emailed.
  await sql`UPDATE members SET opted_out = true WHERE id = ${ids[9]!}`.execute(db);
  const { alert } = await raise(db, null, 3, { smtp: true });
  t.equal(alert.email_fanout, true, 'the fan-out owes emails');
  const first = await written(db, alert.number);
  t.same(first.map((w) => w.emails), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0], 'at commit: the emails of the first batch of texts');
  await drain(db, 4);
  const all = await written(db, alert.number);
  t.same(all.map((w) => w.emails), Array(10).fill(1), 'then everyone with an address, once');
  t.same(all.map((w) => w.texts), [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  const row = await db.selectFrom('alerts').select(['fanout_after', 'email_fanout']).where('number', '=', alert.number).executeTakeFirstOrThrow();
  t.same(row, { fanout_after: null, email_fanout: false });
  // A fan-out owing emails without a cursor is refused by the schema.
  await t.rejects(sql`UPDATE alerts SET email_fanout = true WHERE number = ${alert.number}`.execute(db), /alerts_email_fanout_pending/);
});

t.test('an audience within the first batch writes every email at commit', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(4));
  await sql`UPDATE members SET email = 'm' || id || '@nhs.net'`.execute(db);
  const { alert } = await raise(db, null, 10, { smtp: true });
  t.equal(alert.email_fanout, false);
  t.same((await written(db, alert.number)).map((w) => w.emails), [1, 1, 1, 1]);
  t.equal(await continueFanOut(db, T0), null);
});

t.test('members as they are when their batch is written; nobody already delivered is texted again', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(8));
  const { alert } = await raise(db, null, 2);
  // After the commit: one member opts out, one changes number, and one (an escalated deputy since
  // demoted) already has a delivery and a text of this alert.
  await sql`UPDATE members SET opted_out = true WHERE id = ${ids[3]!}`.execute(db);
  await sql`UPDATE members SET phone = '+447700900555' WHERE id = ${ids[4]!}`.execute(db);
  await sql`INSERT INTO deliveries (alert_number, member_id, created_at, contact_role, escalated) VALUES (${alert.number}, ${ids[5]!}, ${T0}, 'deputy', true)`.execute(db);
  await drain(db, 100);
  const w = await written(db, alert.number);
  t.same(w.map((x) => x.texts), [1, 1, 1, 0, 1, 0, 1, 1]);
  t.same(w.map((x) => x.deliveries), [1, 1, 1, 0, 1, 1, 1, 1]);
  t.equal(w[4]!.recipient, '+447700900555', 'the number as it is when the batch is written');
  t.equal((await alertRow(db, alert.number)).recipient_count, 7, 'recipients: the deliveries');
});

t.test('two workers at once never double a member', async (t) => {
  const { db } = await freshDatabase(t, 10);
  await addMembers(db, memberSpecs(2000));
  const a = await raise(db, null, 10);
  const b = await raise(db, null, 10);
  const batches = await Promise.all([drain(db, 97), drain(db, 131), drain(db, 53)]);
  t.ok(batches.reduce((x, y) => x + y, 0) >= Math.ceil(1990 / 131) * 2, `batches written: ${batches.join(', ')}`);
  for (const n of [a.alert.number, b.alert.number]) {
    const r = await sql<{ texts: number; members: number; deliveries: number }>`
      SELECT count(*)::int AS texts, count(DISTINCT member_id)::int AS members,
        (SELECT count(*)::int FROM deliveries WHERE alert_number = ${n}) AS deliveries
      FROM outbox WHERE alert_number = ${n}`.execute(db);
    t.same(r.rows[0], { texts: 2000, members: 2000, deliveries: 2000 }, `alert ${n}: each member once`);
    t.same(await alertRow(db, n), { recipient_count: 2000, fanout_after: null });
  }
});

t.test('an UPDATE during a fan-out goes to every recipient: the fan-out is finished first', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(9));
  const raiser = await db.selectFrom('members').selectAll().where('id', '=', ids[0]!).executeTakeFirstOrThrow();
  const { alert } = await raise(db, raiser.id, 2);
  const r = await db.transaction().execute((trx) => sendFollowUp(trx, 'update', raiser, alert.number, 'Block port 445', T0));
  t.same(r, { outcome: 'sent', recipients: 8, emails: 0, forum: false });
  const w = await written(db, alert.number);
  t.same(w.map((x) => x.texts), [0, 1, 1, 1, 1, 1, 1, 1, 1], 'every recipient has the alert');
  t.same(await alertRow(db, alert.number), { recipient_count: 8, fanout_after: null });
  t.equal(await continueFanOut(db, T0), null);
});

t.test('the worker writes waiting fan-outs and wakes the dispatchers after each batch', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(50));
  let touches = 0;
  const listeners = new Set<() => void>();
  const signal = { touch: () => { touches++; for (const fn of listeners) fn(); }, subscribe: (fn: () => void) => (listeners.add(fn), () => listeners.delete(fn)) };
  const errors: unknown[] = [];
  const worker = startFanOutWorker({ db, clock: () => T0, outboxSignal: signal }, { error: (o) => errors.push(o) }, 7);
  t.teardown(() => worker.stop());
  const { alert } = await raise(db, null, 5);
  signal.touch(); // as createAlert's callers do after their commit
  const until = Date.now() + 10_000;
  while ((await alertRow(db, alert.number)).fanout_after !== null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.same(await alertRow(db, alert.number), { recipient_count: 50, fanout_after: null });
  t.ok(touches >= 1 + 7, `dispatchers woken after each of the 7 batches (${touches} touches)`);
  t.same(errors, []);
});

t.test('property: any audience, first batch and batch size: each audience member exactly once', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(40));
  await addOrganisation(db);
  await sql`UPDATE members SET ods_code = 'RX1'`.execute(db);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('member', 'deputy', 'opted-out'), { minLength: 40, maxLength: 40 }),
      fc.option(fc.integer({ min: 0, max: 39 }), { nil: null }),
      fc.integer({ min: 1, max: 45 }),
      fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      async (kinds, raiserAt, inline, workers, withEmail) => {
        await sql`UPDATE members SET contact_role = 'member', opted_out = false, email = NULL`.execute(db);
        for (const [i, has] of withEmail.entries()) if (has) await sql`UPDATE members SET email = ${`m${i}@nhs.net`} WHERE id = ${ids[i]!}`.execute(db);
        for (const [i, k] of kinds.entries()) {
          if (k === 'deputy') await sql`UPDATE members SET contact_role = 'deputy' WHERE id = ${ids[i]!}`.execute(db);
          if (k === 'opted-out') await sql`UPDATE members SET opted_out = true WHERE id = ${ids[i]!}`.execute(db);
        }
        const raiser = raiserAt === null ? null : ids[raiserAt]!;
        const { alert, recipientCount } = await raise(db, raiser, inline, { smtp: true });
        await Promise.all(workers.map((size) => drain(db, size)));
        const w = await written(db, alert.number);
        const expected = kinds.map((k, i) => (k === 'member' && ids[i] !== raiser ? 1 : 0));
        t.same(w.map((x) => x.texts), expected);
        t.same(w.map((x) => x.deliveries), expected);
        // Emails: every member with an address, opted out of texts or not, but the raiser and deputies.
        t.same(w.map((x) => x.emails), kinds.map((k, i) => (withEmail[i] && k !== 'deputy' && ids[i] !== raiser ? 1 : 0)));
        const total = expected.reduce((a: number, b) => a + b, 0);
        t.equal(recipientCount, total);
        t.same(await alertRow(db, alert.number), { recipient_count: total, fanout_after: null });
      },
    ),
    { numRuns: 25 },
  );
});

t.test('a batch that fails part-way leaves nothing behind; the next attempt writes it whole', async (t) => {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(30));
  const { alert } = await raise(db, null, 5);
  // The 12th member's delivery fails inside the batch (as a crash or a lost connection would end it).
  await sql.raw(`
    CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.member_id = ${ids[11]!} THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER poison BEFORE INSERT ON deliveries FOR EACH ROW EXECUTE FUNCTION poison();`).execute(db);
  const before = await written(db, alert.number);
  await t.rejects(continueFanOut(db, T0, 10), /poisoned/);
  t.same(await written(db, alert.number), before, 'no text and no delivery of the failed batch remains');
  t.equal((await alertRow(db, alert.number)).fanout_after, ids[4], 'the cursor did not move');
  await sql`DROP TRIGGER poison ON deliveries`.execute(db);
  await drain(db, 10);
  t.same((await written(db, alert.number)).map((w) => [w.texts, w.deliveries]), Array(30).fill([1, 1]), 'every member exactly once');
  t.same(await alertRow(db, alert.number), { recipient_count: 30, fanout_after: null });
});
