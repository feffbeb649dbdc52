// STATUS by text: who may ask, and what the reply says.
import t from 'tap';
import { loadConfig } from '../src/config.js';
import { createAlert } from '../src/alerts/create.js';
import type { Database } from '../src/db/connect.js';
import type { Member } from '../src/db/schema.js';
import { ago } from '../src/alerts/status.js';
import { freshDatabase } from './helpers/db.js';
import { insertMembers, talker } from './helpers/conversation.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const min = (m: number) => new Date(T0.getTime() + m * 60_000);
const config = loadConfig({});

async function raise(db: Database, by: Member, at: Date, forumUrl: string | null = null): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const r = await createAlert(trx, { raiserId: by.id, raiserName: by.name, raiserOrg: by.organisation, summary: 'Ransomware', exercise: false, source: 'sms', forumTopicUrl: forumUrl }, at);
    return r.alert.number;
  });
}

t.test('STATUS permissions and contents', async (t) => {
  const { db } = await freshDatabase(t);
  const [jane, bob, amir, chloe] = await insertMembers(db, [
    { name: 'Jane Smith' },
    { name: 'Bob Jones' },
    { name: 'Amir Khan', role: 'admin' },
    { name: 'Chloe Price' },
    { name: 'Olive Out', optedOut: true },
  ]);
  const say = (m: Member, text: string, at = min(25)) => talker(db, config, m, () => at).say(text);

  t.equal(await say(amir!, 'STATUS'), 'No alerts have been raised yet.');
  t.match(await say(bob!, 'STATUS'), /^STATUS is for admins, and for members about an alert they raised/);

  await raise(db, jane!, min(0), 'https://forum.example.nhs.uk/t/ransomware/42');
  // delivery outcomes: Bob's text delivered, Amir's failed, Chloe's still queued; Bob acknowledges
  const row = (m: Member) => db.selectFrom('deliveries').select('sms_outbox_id').where('member_id', '=', m.id).executeTakeFirstOrThrow();
  await db.updateTable('outbox').set({ state: 'sent', receipt_status: 'delivered' }).where('id', '=', (await row(bob!)).sms_outbox_id!).execute();
  await db.updateTable('outbox').set({ state: 'failed' }).where('id', '=', (await row(amir!)).sms_outbox_id!).execute();
  await say(bob!, 'ACK 1', min(3));

  const expected =
    '#1 open, raised 25 min ago: 3 recipients, 1 delivered, 1 failed, 1 acknowledged (2 not yet). 1 member opted out. ' +
    'Forum: https://forum.example.nhs.uk/t/ransomware/42 Text STATUS 1 to refresh.';
  t.equal(await say(amir!, 'status 1'), expected, 'an admin, any alert');
  t.equal(await say(amir!, 'STATUS'), expected, 'an admin, bare STATUS: the newest alert');
  t.equal(await say(jane!, 'Status #1.'), expected, 'the raiser, their own alert');
  t.equal(await say(jane!, 'STATUS'), expected, 'the raiser, bare STATUS: their newest alert');
  t.equal(await say(bob!, 'STATUS 1'), 'STATUS is for admins, and for the member who raised #1. Send HELP for the commands.');
  t.equal(await say(chloe!, 'STATUS'), 'STATUS is for admins, and for members about an alert they raised. Send HELP for the commands.');
  t.equal(await say(amir!, 'STATUS 7'), 'There is no alert #7. Check the number in the alert text.');
  t.equal(await say(bob!, 'STATUS 7'), 'There is no alert #7. Check the number in the alert text.');

  // closed
  await db.updateTable('alerts').set({ status: 'closed', closed_at: min(20) }).execute();
  t.match(await say(jane!, 'STATUS 1', min(150)), /^#1 closed 2 h 10 min ago, raised 2 h 30 min ago: 3 recipients/);

  // an admin demoted no longer sees other people's alerts
  await db.updateTable('members').set({ role: 'member' }).where('id', '=', amir!.id).execute();
  t.match(await say(amir!, 'STATUS 1'), /^STATUS is for admins/);
});

t.test('time since, in words', async (t) => {
  t.equal(ago(min(0), min(0)), 'under a minute');
  t.equal(ago(min(0), min(59)), '59 min');
  t.equal(ago(min(0), min(60)), '1 h');
  t.equal(ago(min(0), min(125)), '2 h 5 min');
  t.equal(ago(min(0), min(60 * 72)), '3 days');
  t.equal(ago(min(5), min(0)), 'under a minute', 'clock skew is not negative');
});
