// Reminders: one text per unacknowledged recipient after the delay, and never more.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, ackBySql, markSent, memberSpecs, raiseAlert, testConfig } from './helpers/alert-fixtures.js';
import { reminderText, startReminderSweeper, sweepReminders } from '../src/alerts/reminders.js';
import type { Database } from '../src/db/connect.js';

const T0 = new Date('2026-11-23T09:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const config = testConfig(); // REMINDER_MINUTES default: 10

async function reminders(db: Database) {
  const r = await sql<{ member_id: number; alert_number: number; recipient: string; body: string; priority: number; state: string }>`
    SELECT member_id, alert_number, recipient, body, priority, state FROM outbox WHERE kind = 'reminder' ORDER BY id`.execute(db);
  return r.rows;
}

t.test('reminderText', async (t) => {
  const a = { number: 12, raiserName: 'Jane Smith', raiserOrg: 'Northtown Trust', summary: 'Ransomware on N3.', exercise: false };
  t.equal(reminderText(a), 'Reminder: BATSIGNAL #12 from Jane Smith (Northtown Trust): Ransomware on N3. Reply ACK 12.');
  t.equal(reminderText({ ...a, exercise: true, raiserOrg: '' }), 'Reminder: EXERCISE BATSIGNAL #12 from Jane Smith: Ransomware on N3. Reply ACK 12.');
  const long = reminderText({ ...a, summary: 'x'.repeat(400) });
  t.ok(long.length <= 160, `one text (${long.length} chars)`);
  t.match(long, /x\.\.\.\. Reply ACK 12\.$/);
});

t.test('one reminder, only to those who need it, only after the delay', async (t) => {
  const { db } = await freshDatabase(t);
  const [acked, waiting, optedOut, queued, failed, ackedLate] = (await addMembers(db, memberSpecs(6))) as [
    number, number, number, number, number, number,
  ];
  const n = await raiseAlert(db, T0);
  await markSent(db, n, at(1), { memberIds: [acked, waiting, optedOut, ackedLate], receipt: 'delivered' });
  await markSent(db, n, at(1), { memberIds: [failed], state: 'failed' });
  await ackBySql(db, n, acked, at(3));
  await sql`UPDATE members SET opted_out = true, opted_out_at = ${at(4)} WHERE id = ${optedOut}`.execute(db);

  t.equal(await sweepReminders(db, config, at(0)), 0, 'nothing at once');
  t.equal(await sweepReminders(db, config, at(10)), 0, 'nothing 10 minutes after the alert when the text went at +1');
  t.equal((await reminders(db)).length, 0);

  t.equal(await sweepReminders(db, config, at(11)), 2, 'two due at +11');
  const sent = await reminders(db);
  t.same(sent.map((r) => r.member_id).sort(), [waiting, ackedLate].sort());
  const toWaiting = sent.find((r) => r.member_id === waiting)!;
  t.equal(toWaiting.recipient, '+447700900001');
  t.equal(toWaiting.alert_number, n);
  t.equal(toWaiting.state, 'pending');
  t.equal(toWaiting.body, 'Reminder: BATSIGNAL #1 from Jane Smith (Northtown Trust): Ransomware spreading via SMB on the N3 link. Reply ACK 1.');
  const d = await db.selectFrom('deliveries').select(['member_id', 'reminded_at']).where('alert_number', '=', n).execute();
  const remindedAt = new Map(d.map((r) => [r.member_id, r.reminded_at?.toISOString() ?? null]));
  t.equal(remindedAt.get(waiting), at(11).toISOString(), 'reminded_at set with the reminder');
  t.equal(remindedAt.get(acked), null, 'not the one who acknowledged');
  t.equal(remindedAt.get(optedOut), null, 'not the one who opted out');
  t.equal(remindedAt.get(queued), null, 'not before their alert text was sent');
  t.equal(remindedAt.get(failed), null, 'not when their alert text failed to send');

  await ackBySql(db, n, ackedLate, at(12));
  t.equal(await sweepReminders(db, config, at(12)), 0, 'never a second reminder');
  t.equal(await sweepReminders(db, config, at(60)), 0, 'not an hour later either');

  // The queued text finally goes at +15: its reminder is due ten minutes after that.
  await markSent(db, n, at(15), { memberIds: [queued] });
  t.equal(await sweepReminders(db, config, at(24)), 0);
  t.equal(await sweepReminders(db, config, at(25)), 1);
  t.same((await reminders(db)).map((r) => r.member_id).sort(), [waiting, ackedLate, queued].sort());
  t.equal(await sweepReminders(db, config, at(120)), 0, 'still once each');
});

t.test('the delay is configurable', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(2));
  const n = await raiseAlert(db, T0);
  await markSent(db, n, T0);
  const quick = testConfig({ REMINDER_MINUTES: '3' });
  t.equal(await sweepReminders(db, quick, at(2)), 0);
  t.equal(await sweepReminders(db, quick, at(3)), 2);
});

t.test('no reminders for a closed alert', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(3));
  const open = await raiseAlert(db, T0);
  const closed = await raiseAlert(db, T0, { summary: 'False alarm' });
  await markSent(db, open, T0);
  await markSent(db, closed, T0);
  await sql`UPDATE alerts SET status = 'closed', closed_at = ${at(5)} WHERE number = ${closed}`.execute(db);
  t.equal(await sweepReminders(db, config, at(10)), 3);
  t.same([...new Set((await reminders(db)).map((r) => r.alert_number))], [open]);

  // Closed between two sweeps (ALLCLEAR): the rest never get one.
  await addMembers(db, [{ name: 'Late Joiner', phone: '+447700900100' }]);
  const third = await raiseAlert(db, at(20));
  await markSent(db, third, at(20));
  await sql`UPDATE alerts SET status = 'closed', closed_at = ${at(25)} WHERE number = ${third}`.execute(db);
  t.equal(await sweepReminders(db, config, at(40)), 0);
});

t.test('concurrent sweeps still remind each member once', async (t) => {
  const { db } = await freshDatabase(t, 12);
  await addMembers(db, memberSpecs(300));
  const a = await raiseAlert(db, T0);
  const b = await raiseAlert(db, T0, { summary: 'Second wave' });
  await markSent(db, a, T0);
  await markSent(db, b, T0);
  const counts = await Promise.all(Array.from({ length: 6 }, () => sweepReminders(db, config, at(10))));
  t.equal(counts.reduce((x, y) => x + y, 0), 600, `sweeps together queued 600 (${counts.join(' + ')})`);
  const rows = await reminders(db);
  t.equal(rows.length, 600);
  t.equal(new Set(rows.map((r) => `${r.alert_number}/${r.member_id}`)).size, 600, 'no member reminded twice for an alert');
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM deliveries WHERE reminded_at IS NOT NULL`.execute(db);
  t.equal(r.rows[0]!.n, 600, 'every reminder has its reminded_at');
  t.equal(await sweepReminders(db, config, at(30)), 0);
});

t.test('the sweeper worker runs a sweep at start and stops cleanly', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(4));
  const n = await raiseAlert(db, T0);
  await markSent(db, n, T0);
  const logged: unknown[] = [];
  const log = { info: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) } as never;
  const worker = startReminderSweeper({ db, config, clock: () => at(30) }, log, 60_000);
  await worker.stop();
  t.equal((await reminders(db)).length, 4);
  t.same(logged, [{ reminders: 4 }]);
});
