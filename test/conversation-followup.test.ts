// UPDATE and ALLCLEAR by text: who may, the code first, and exactly the original recipients.
import t from 'tap';
import { loadConfig } from '../src/config.js';
import { createAlert } from '../src/alerts/create.js';
import { sweepReminders } from '../src/alerts/reminders.js';
import type { Database } from '../src/db/connect.js';
import type { Member } from '../src/db/schema.js';
import { freshDatabase } from './helpers/db.js';
import { codeIn, insertMembers, talker } from './helpers/conversation.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const min = (m: number) => new Date(T0.getTime() + m * 60_000);
const config = loadConfig({});

async function raise(db: Database, by: Member, at: Date, exercise = false): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const r = await createAlert(trx, { raiserId: by.id, raiserName: by.name, raiserOrg: by.organisation, summary: 'Ransomware', exercise, source: 'sms' }, at);
    return r.alert.number;
  });
}

async function setup(t: Parameters<typeof freshDatabase>[0]) {
  const { db } = await freshDatabase(t);
  const [jane, bob, amir, chloe, dave] = await insertMembers(db, [
    { name: 'Jane Smith', organisation: 'Northtown Trust' },
    { name: 'Bob Jones' },
    { name: 'Amir Khan', organisation: 'Westshire CSU', role: 'admin' },
    { name: 'Chloe Price' },
    { name: 'Dave Out', optedOut: true },
  ]);
  await raise(db, jane!, min(0));
  // After the alert: Chloe opts out, Eve joins, Dave comes back. None of them should get its follow-ups.
  await db.updateTable('members').set({ opted_out: true, opted_out_at: min(1) }).where('id', '=', chloe!.id).execute();
  await db.updateTable('members').set({ opted_out: false, opted_out_at: null }).where('id', '=', dave!.id).execute();
  await insertMembers(db, [{ name: 'Eve New' }], 300);
  const say = (m: Member, text: string, at = min(10)) => talker(db, config, m, () => at).say(text);
  const sent = (kind: 'update' | 'allclear') =>
    db.selectFrom('outbox').select(['member_id', 'recipient', 'body', 'alert_number', 'priority']).where('kind', '=', kind).orderBy('member_id').execute();
  return { db, jane: jane!, bob: bob!, amir: amir!, chloe: chloe!, say, sent };
}

t.test('UPDATE: only the raiser or an admin, after the code, to exactly the original recipients', async (t) => {
  const { db, jane, bob, amir, say, sent } = await setup(t);
  t.equal(await say(bob, 'UPDATE 1 It is a drill'), 'Only the member who raised #1 or an admin can send UPDATE for it.');
  t.equal(await say(jane, 'UPDATE 2 wrong alert'), 'There is no alert #2. Check the number in the alert text.');
  t.match(await say(jane, 'UPDATE 1'), /^To send a follow-up: UPDATE then the alert number and the text/);

  const prompt = await say(jane, 'update 1 Patch KB5012 released, apply now');
  t.match(prompt, /^Update to the 2 members who received #1: "Patch KB5012 released, apply now"\. Reply CONFIRM \d{6} to send it, or CANCEL\.$/);
  t.same(await sent('update'), [], 'nothing before CONFIRM');
  const wrong = codeIn(prompt) === '111111' ? '222222' : '111111';
  t.match(await say(jane, `CONFIRM ${wrong}`), /not right/);
  t.same(await sent('update'), [], 'nothing on a wrong code');
  t.equal(await say(jane, `CONFIRM ${codeIn(prompt)}`), 'Update for #1 sent to 2 members. Text STATUS 1 for acknowledgements.');

  const rows = await sent('update');
  t.same(rows.map((r) => r.member_id), [bob.id, amir.id], 'original recipients still opted in: not Chloe (opted out since), Dave or Eve (not recipients), nor Jane');
  for (const r of rows) {
    t.equal(r.body, 'BATSIGNAL #1 UPDATE from Jane Smith (Northtown Trust): Patch KB5012 released, apply now. Reply ACK 1 if you have not already.');
    t.equal(r.alert_number, 1);
    t.equal(r.priority, 1, 'broadcast priority, behind conversation replies');
  }

  // an admin may update someone else's alert, and is named as the sender
  const p2 = await say(amir, 'UPDATE #1: Isolate SMB shares');
  await say(amir, `CONFIRM ${codeIn(p2)}`);
  const second = (await sent('update')).filter((r) => r.body.includes('Isolate'));
  t.same(second.map((r) => r.member_id), [bob.id, amir.id]);
  t.match(second[0]!.body, /^BATSIGNAL #1 UPDATE from Amir Khan \(Westshire CSU\): Isolate SMB shares\./);

  const alert = await db.selectFrom('alerts').select('status').executeTakeFirstOrThrow();
  t.equal(alert.status, 'open', 'an update does not close the alert');
});

t.test('ALLCLEAR: closes the alert, tells the original recipients, stops reminders', async (t) => {
  const { db, jane, bob, amir, say, sent } = await setup(t);
  t.equal(await say(bob, 'ALLCLEAR 1'), 'Only the member who raised #1 or an admin can send ALLCLEAR for it.');
  const prompt = await say(jane, 'All clear 1 - contained at source');
  t.match(prompt, /^All clear for #1 to 2 members: "contained at source"\. It closes the alert\. Reply CONFIRM \d{6} to send it, or CANCEL\.$/);
  t.match(await say(jane, 'CANCEL'), /^Cancelled: the all clear was not sent/);
  t.equal((await db.selectFrom('alerts').select('status').executeTakeFirstOrThrow()).status, 'open', 'CANCEL left it open');

  const p2 = await say(jane, 'ALLCLEAR 1 contained at source', min(12));
  t.equal(await talker(db, config, jane, () => min(13)).say(codeIn(p2)), 'All clear for #1 sent to 2 members; the alert is closed.');
  const alert = await db.selectFrom('alerts').select(['status', 'closed_at']).executeTakeFirstOrThrow();
  t.same(alert, { status: 'closed', closed_at: min(13) });
  const rows = await sent('allclear');
  t.same(rows.map((r) => r.member_id), [bob.id, amir.id]);
  t.equal(rows[0]!.body, 'BATSIGNAL #1 ALL CLEAR from Jane Smith (Northtown Trust): contained at source. No further action needed on #1.');

  t.equal(await sweepReminders(db, { reminderMinutes: 10 }, min(60)), 0, 'no reminders for a closed alert');
  t.equal((await db.selectFrom('outbox').select('id').where('kind', '=', 'reminder').execute()).length, 0);

  t.equal(await say(jane, 'UPDATE 1 more news', min(20)), 'Alert #1 is closed (all clear sent). Nothing was sent.');
  t.equal(await say(amir, 'ALLCLEAR 1', min(20)), 'Alert #1 is closed (all clear sent). Nothing was sent.');
  t.match(await say(amir, 'STATUS 1', min(20)), /^#1 closed 7 min ago, raised 20 min ago/);
});

t.test('ALLCLEAR without text; an alert closed while the code was pending sends nothing', async (t) => {
  const { jane, amir, say, sent } = await setup(t);
  const p1 = await say(jane, 'ALLCLEAR 1');
  t.match(p1, /^All clear for #1 to 2 members\. It closes the alert\./);
  const p2 = await say(amir, 'ALL CLEAR #1');
  await say(amir, `CONFIRM ${codeIn(p2)}`);
  t.equal((await sent('allclear'))[0]!.body, 'BATSIGNAL #1 ALL CLEAR from Amir Khan (Westshire CSU): the alert is stood down. No further action needed on #1.');
  t.equal(await say(jane, `CONFIRM ${codeIn(p1)}`), 'Alert #1 is closed (all clear sent). Nothing was sent.');
  t.equal((await sent('allclear')).length, 2, 'one all clear per recipient, not two');
});

t.test('follow-ups of an exercise say so; they expire like a raise', async (t) => {
  const { db } = await freshDatabase(t);
  const [jane, bob] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }]);
  await raise(db, jane!, min(0), true);
  const j = (at: Date) => talker(db, config, jane!, () => at);
  const p = await j(min(1)).say('UPDATE 1 second inject');
  t.match(await j(min(17)).say(`CONFIRM ${codeIn(p)}`), /^Your update expired after 15 minutes without a reply\. Nothing was sent\. Send UPDATE to try again\.$/);
  const p2 = await j(min(18)).say('UPDATE 1 second inject');
  await j(min(19)).say(`CONFIRM ${codeIn(p2)}`);
  const row = await db.selectFrom('outbox').select(['member_id', 'body']).where('kind', '=', 'update').executeTakeFirstOrThrow();
  t.same(row, { member_id: bob!.id, body: 'EXERCISE BATSIGNAL #1 UPDATE from Jane Smith (Northtown Trust): second inject. Reply ACK 1 if you have not already.' });
});
