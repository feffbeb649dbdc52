// Raising an alert by text, through converse() on a real database.
import t from 'tap';
import { loadConfig } from '../src/config.js';
import { freshDatabase } from './helpers/db.js';
import { codeIn, insertMembers, talker } from './helpers/conversation.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const min = (m: number) => new Date(T0.getTime() + m * 60_000);
const config = loadConfig({});

async function setup(t: Tap, cfg = config) {
  const { db } = await freshDatabase(t);
  const [jane, bob, amir, chloe, olive] = await insertMembers(db, [
    { name: 'Jane Smith', organisation: 'Northtown Trust' },
    { name: 'Bob Jones', organisation: 'Southby ICB' },
    { name: 'Amir Khan', organisation: 'Westshire CSU', role: 'admin' },
    { name: 'Chloe Price' },
    { name: 'Olive Out', optedOut: true },
  ]);
  const at = (m: number) => () => min(m);
  return { db, jane: talker(db, cfg, jane!, at(0)), bob: talker(db, cfg, bob!, at(0)), members: { jane: jane!, bob: bob!, amir: amir!, chloe: chloe!, olive: olive! }, at };
}
type Tap = Parameters<typeof freshDatabase>[0];

t.test('a full raise: threshold, description, code, broadcast to every other member', async (t) => {
  const { db, jane, members } = await setup(t);
  t.match(await jane.say('raise'), /^Have you detected an infected computer where the threat is likely to propagate to other NHS organisations\? Reply YES or NO$/);
  t.match(await jane.say('Yes'), /^Describe the incident in one text/);
  const prompt = await jane.say('Ransomware on PACS at Northtown, spreading over SMB');
  t.match(prompt, /^Alert to 3 members: "Ransomware on PACS at Northtown, spreading over SMB"\. Reply CONFIRM \d{6} to send it, or CANCEL\.$/);
  t.equal(await db.selectFrom('alerts').select('number').execute().then((r) => r.length), 0, 'nothing sent before CONFIRM');

  const sent = await jane.say(` Confirm ${codeIn(prompt)}. `);
  t.equal(sent, 'Alert #1 sent to 3 members. Text STATUS 1 for acknowledgements, UPDATE 1 <text> to follow up, ALLCLEAR 1 to stand down.');

  const alert = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  t.match(alert, { number: 1, raised_by: members.jane.id, raiser_name: 'Jane Smith', summary: 'Ransomware on PACS at Northtown, spreading over SMB', source: 'sms', status: 'open', recipient_count: 3, exercise: false });
  const deliveries = await db.selectFrom('deliveries').select('member_id').where('alert_number', '=', 1).orderBy('member_id').execute();
  t.same(deliveries.map((d) => d.member_id), [members.bob.id, members.amir.id, members.chloe.id], 'every other member not opted out');
  const texts = await db.selectFrom('outbox').select(['recipient', 'body']).where('kind', '=', 'alert').orderBy('member_id').execute();
  t.same(texts.map((x) => x.recipient), [members.bob.phone, members.amir.phone, members.chloe.phone]);
  for (const x of texts) t.equal(x.body, 'BATSIGNAL #1 from Jane Smith (Northtown Trust): Ransomware on PACS at Northtown, spreading over SMB. Reply ACK 1 to confirm.');
  const conv = await db.selectFrom('conversations').select('state').where('member_id', '=', members.jane.id).executeTakeFirstOrThrow();
  t.same(conv.state, { name: 'idle' });
});

t.test('RAISE with a summary goes from YES straight to the code; exercise alerts are marked', async (t) => {
  const { db, jane } = await setup(t);
  t.match(await jane.say('RAISE EXERCISE Test of the cascade, no action'), /^EXERCISE raise\. Have you detected/);
  const prompt = await jane.say('YES');
  t.match(prompt, /^EXERCISE alert to 3 members: "Test of the cascade, no action"\. Reply CONFIRM/);
  t.match(await jane.say(`CONFIRM ${codeIn(prompt)}`), /^EXERCISE Alert #1 sent to 3 members/);
  const alert = await db.selectFrom('alerts').select(['exercise', 'summary']).executeTakeFirstOrThrow();
  t.same(alert, { exercise: true, summary: 'Test of the cascade, no action' });
  const body = await db.selectFrom('outbox').select('body').where('kind', '=', 'alert').executeTakeFirstOrThrow();
  t.match(body.body, /^EXERCISE BATSIGNAL #1 .*THIS IS AN EXERCISE\.$/);
});

t.test('NO ends the raise and points to the forum', async (t) => {
  const cfg = loadConfig({ DISCOURSE_URL: 'https://forum.example.nhs.uk', DISCOURSE_API_KEY: 'k', DISCOURSE_API_USERNAME: 'batsignal', DISCOURSE_CATEGORY_ID: '5' });
  const { db, jane } = await setup(t, cfg);
  await jane.say('RAISE');
  t.equal(await jane.say('no'), 'Thank you. Below the threshold, so no alert was sent. Ask peers for advice on the forum: https://forum.example.nhs.uk. Send RAISE if it changes.');
  t.equal((await db.selectFrom('alerts').selectAll().execute()).length, 0);
  t.equal((await db.selectFrom('outbox').selectAll().where('kind', '!=', 'reply').execute()).length, 0);
  t.match(await jane.say('YES'), /Nothing to answer/, 'a late YES starts nothing');
});

t.test('CANCEL at every step sends nothing', async (t) => {
  const { db, jane } = await setup(t);
  await jane.say('RAISE');
  t.match(await jane.say('CANCEL'), /^Cancelled: the raise was not sent\. Send RAISE to start again\.$/);
  await jane.say('RAISE');
  await jane.say('YES');
  t.match(await jane.say('cancel.'), /^Cancelled/);
  await jane.say('RAISE');
  await jane.say('YES');
  const prompt = await jane.say('Phishing wave');
  t.match(await jane.say('Cancel'), /^Cancelled/);
  t.match(await jane.say(`CONFIRM ${codeIn(prompt)}`), /Nothing to confirm/, 'the old code is dead');
  t.match(await jane.say('CANCEL'), /Nothing to cancel/);
  t.equal((await db.selectFrom('alerts').selectAll().execute()).length, 0);
  t.equal((await db.selectFrom('outbox').selectAll().where('kind', '!=', 'reply').execute()).length, 0);
});

t.test('expiry: a late reply is told the raise expired; nothing is sent', async (t) => {
  const { db, jane } = await setup(t);
  await jane.say('RAISE', min(0));
  await jane.say('YES', min(10));
  const prompt = await jane.say('Ransomware', min(20)); // 10 minutes after the last step: still live
  t.match(prompt, /CONFIRM/);
  t.equal(await jane.say(`CONFIRM ${codeIn(prompt)}`, min(35)), 'Your raise expired after 15 minutes without a reply. Nothing was sent. Send RAISE to start again.');
  t.equal((await db.selectFrom('alerts').selectAll().execute()).length, 0);
  t.match(await jane.say(`CONFIRM ${codeIn(prompt)}`, min(36)), /Nothing to confirm/);
});

t.test('configured expiry', async (t) => {
  const { jane } = await setup(t, loadConfig({ RAISE_EXPIRY_MINUTES: '2' }));
  await jane.say('RAISE', min(0));
  t.match(await jane.say('YES', min(2)), /expired after 2 minutes/);
});

t.test('wrong code: try again; three wrong codes end the raise', async (t) => {
  const { db, jane } = await setup(t);
  await jane.say('RAISE Ransomware on PACS');
  let prompt = await jane.say('YES');
  const code = codeIn(prompt);
  const wrong = code === '111111' ? '222222' : '111111';
  t.match(await jane.say(`CONFIRM ${wrong}`), /^That code is not right\. Reply CONFIRM and the code we sent \(2 tries left\), or CANCEL\.$/);
  t.match(await jane.say(`CONFIRM ${code}`), /^Alert #1 sent/, 'the right code after a wrong one');

  await jane.say('RAISE Second incident');
  prompt = await jane.say('YES');
  const code2 = codeIn(prompt);
  t.not(code2, code, 'a fresh code per raise');
  const bad = code2 === '111111' ? '222222' : '111111';
  await jane.say(`CONFIRM ${bad}`);
  t.match(await jane.say(bad), /1 try left/, 'a bare code counts too');
  t.match(await jane.say(`confirm ${bad}`), /^Three wrong codes: the raise is cancelled and nothing was sent/);
  t.match(await jane.say(`CONFIRM ${code2}`), /Nothing to confirm/);
  t.equal((await db.selectFrom('alerts').selectAll().execute()).length, 1);
});

t.test('the code only works from the phone it was sent to', async (t) => {
  const { db, jane, bob } = await setup(t);
  await jane.say('RAISE Ransomware');
  const code = codeIn(await jane.say('YES'));
  t.match(await bob.say(`CONFIRM ${code}`), /Nothing to confirm/, "another member's conversation knows no code");
  t.equal((await db.selectFrom('alerts').selectAll().execute()).length, 0);
});

t.test('raise limit per hour', async (t) => {
  const { db, jane } = await setup(t, loadConfig({ MAX_RAISES_PER_HOUR: '1' }));
  await jane.say('RAISE First', min(0));
  await jane.say(`CONFIRM ${codeIn(await jane.say('YES', min(0)))}`, min(1));
  t.equal(await jane.say('RAISE Second', min(30)), 'You have raised 1 alert in the last hour, the most allowed. Nothing was sent. Post on the forum or ask an admin to raise it.');
  // a raise started before the limit was reached is checked again at CONFIRM
  await jane.say('RAISE Third', min(61));
  const prompt = await jane.say('YES', min(61));
  t.match(prompt, /CONFIRM/, 'an hour later RAISE is allowed again');
  t.match(await jane.say(`CONFIRM ${codeIn(prompt)}`, min(62)), /^Alert #2 sent/);
  t.equal((await db.selectFrom('alerts').selectAll().execute()).length, 2);
});

t.test('STOP then START', async (t) => {
  const { db, bob, jane, members } = await setup(t);
  t.equal(await bob.say('Stop.', min(0)), 'You will no longer get Batsignal alert texts. Text START to rejoin.');
  let row = await db.selectFrom('members').select(['opted_out', 'opted_out_at']).where('id', '=', members.bob.id).executeTakeFirstOrThrow();
  t.equal(row.opted_out, true);
  t.same(row.opted_out_at, min(0));
  await bob.say('STOPALL', min(5));
  row = await db.selectFrom('members').select(['opted_out', 'opted_out_at']).where('id', '=', members.bob.id).executeTakeFirstOrThrow();
  t.same(row.opted_out_at, min(0), 'a second STOP keeps the first time');

  await jane.say('RAISE While Bob is out');
  t.match(await jane.say('YES'), /^Alert to 2 members/, 'Bob is no longer counted');

  t.equal(await bob.say('start'), 'You will get Batsignal alert texts again. Text STOP to opt out.');
  row = await db.selectFrom('members').select(['opted_out', 'opted_out_at']).where('id', '=', members.bob.id).executeTakeFirstOrThrow();
  t.same(row, { opted_out: false, opted_out_at: null });
  t.match(await bob.say('Stop sending these please'), /Not understood/, 'only the word alone opts out');
  t.equal((await db.selectFrom('members').select('opted_out').where('id', '=', members.bob.id).executeTakeFirstOrThrow()).opted_out, false);
});

t.test('HELP, and free text', async (t) => {
  const { jane } = await setup(t);
  t.match(await jane.say('help'), /^Batsignal: RAISE to raise an alert\. ACK or ACK 12 to acknowledge\./);
  await jane.say('RAISE');
  t.match(await jane.say('HELP'), /Your raise is waiting: reply YES or NO, or CANCEL\.$/);
  t.match(await jane.say('YES'), /^Describe/, 'HELP left the raise where it was');
  t.match(await jane.say('CANCEL'), /Cancelled/);
  t.match(await jane.say('We are seeing it too'), /^Not understood/);
});

t.test('STOP, ACK and STATUS in the middle of a raise leave it in place', async (t) => {
  const { db, jane, bob } = await setup(t);
  // an alert from Jane reaches Bob
  await jane.say('RAISE First incident');
  await jane.say(`CONFIRM ${codeIn(await jane.say('YES'))}`);
  // Bob starts his own raise, then acknowledges Jane's alert halfway through
  await bob.say('RAISE');
  await bob.say('YES');
  t.match(await bob.say('OK'), /describe the incident/i, 'a bare OK mid-raise is not taken as an ACK');
  t.equal(await bob.say('ACK'), 'Acknowledged #1. Thank you. Reply AFFECTED 1, NOT AFFECTED 1 or NEED HELP 1 <text> to say how it is.');
  t.match(await bob.say('STATUS 1'), /STATUS is for admins/);
  const prompt = await bob.say('Second incident at Southby');
  t.match(prompt, /^Alert to 3 members: "Second incident at Southby"/);
  t.match(await bob.say(`CONFIRM ${codeIn(prompt)}`), /^Alert #2 sent to 3 members/);
  t.equal((await db.selectFrom('alerts').selectAll().execute()).length, 2);
});

t.test('a new RAISE replaces one in progress; unicode is made plain', async (t) => {
  const { db, jane } = await setup(t);
  await jane.say('RAISE');
  await jane.say('YES');
  t.match(await jane.say('RAISE'), /^Earlier raise cancelled\. Have you detected/);
  await jane.say('YES');
  const prompt = await jane.say('\u201CInvoice\u201D phishing \u2013 don\u2019t open\u2026');
  t.match(prompt, /"Invoice" phishing - don't open\.\.\."/);
  await jane.say(`CONFIRM ${codeIn(prompt)}`);
  t.equal((await db.selectFrom('alerts').select('summary').executeTakeFirstOrThrow()).summary, '"Invoice" phishing - don\'t open...');
});

t.test('a corrupt stored state is treated as idle', async (t) => {
  const { db, jane, members } = await setup(t);
  await db.insertInto('conversations').values({ member_id: members.jane.id, state: JSON.stringify({ name: 'awaitingConfirm', code: 5 }) }).execute();
  t.match(await jane.say('CONFIRM 123456'), /Nothing to confirm/);
});

t.test('with forum and mail configured, a confirmed raise queues the forum post and emails too', async (t) => {
  const cfg = loadConfig({
    DISCOURSE_URL: 'https://forum.example.nhs.uk', DISCOURSE_API_KEY: 'k', DISCOURSE_API_USERNAME: 'batsignal', DISCOURSE_CATEGORY_ID: '5',
    SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'batsignal@example.nhs.uk',
  });
  const { db } = await freshDatabase(t);
  const [jane] = await insertMembers(db, [{ name: 'Jane Smith' }, { name: 'Bob Jones' }]);
  await db.updateTable('members').set({ email: 'bob@example.nhs.uk' }).where('name', '=', 'Bob Jones').execute();
  const j = talker(db, cfg, jane!, () => min(0));
  await j.say('RAISE Ransomware');
  await j.say(`CONFIRM ${codeIn(await j.say('YES'))}`);
  const channels = await db.selectFrom('outbox').select('channel').where('alert_number', '=', 1).execute();
  t.ok(channels.some((c) => c.channel === 'forum'), 'forum post queued');
  t.ok(channels.some((c) => c.channel === 'email'), 'email queued');
  t.ok(channels.some((c) => c.channel === 'sms'), 'texts queued');
});
