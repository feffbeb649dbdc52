// UPDATE and ALLCLEAR by email and on the forum (issue #12): every member of the alert with an
// address, opted out of texts or not, gets each by email, and each is one reply in the alert's
// topic, exactly once, through the real dispatcher against the SMTP and Discourse stand-ins. The
// reply waits for a topic that is not yet created, and is not posted twice after a timeout.
// Waits are for outcomes (polled), never timed assertions; the backoff is shortened.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, bearer, memberSpecs, testConfig } from './helpers/alert-fixtures.js';
import { codeIn, talker } from './helpers/conversation.js';
import { startDiscourseStandin, type DiscourseStandin } from './helpers/discourse-standin.js';
import { startSmtpStandin, type SmtpStandin } from './helpers/smtp-standin.js';
import type { Database } from '../src/db/connect.js';
import type { Config } from '../src/config.js';
import type { Sender } from '../src/outbox/channel.js';
import { startDispatcher } from '../src/outbox/dispatcher.js';
import { createAlert } from '../src/alerts/create.js';
import { sendFollowUp } from '../src/alerts/followup.js';
import { otherChannels } from '../src/outbox/write.js';
import { createForumSender } from '../src/channels/forum/sender.js';
import { createEmailSender } from '../src/channels/email/sender.js';

type Tap = Parameters<typeof freshDatabase>[0];
const quiet = { info() {}, warn() {}, error() {} };
const FAST = { pollMs: 20, flushMs: 1, receiptGraceMs: 50, backoff: { baseMs: 20, capMs: 200, jitter: 0, maxAttempts: 5 } };

function run(t: Tap, db: Database, sender: Sender): void {
  const d = startDispatcher(db, sender, quiet, FAST);
  t.teardown(() => d.stop());
}

async function settled(db: Database, channel: 'forum' | 'email', ms = 30_000): Promise<Record<string, number>> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await sql<{ state: string; n: number }>`SELECT state, count(*)::int AS n FROM outbox WHERE channel = ${channel} GROUP BY state`.execute(db);
    const by = Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
    if ((!by.pending && !by.sending) || Date.now() > end) return by;
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function until(what: () => Promise<boolean>, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function setup(t: Tap) {
  const { db } = await freshDatabase(t);
  const forum = await startDiscourseStandin();
  const smtp = await startSmtpStandin();
  t.teardown(async () => {
    await forum.close();
    await smtp.close();
  });
  const config = testConfig({
    DISCOURSE_URL: forum.url, DISCOURSE_API_KEY: forum.apiKey, DISCOURSE_API_USERNAME: forum.apiUsername, DISCOURSE_CATEGORY_ID: '7',
    SMTP_URL: smtp.url, MAIL_FROM: 'batsignal@nhs.example',
  });
  return { db, forum, smtp, config };
}

function forumSender(db: Database, config: Config, timeoutMs = 2000) {
  return createForumSender({ db, discourse: config.discourse!, batsignalNumber: config.batsignalNumber, timeoutMs, topicWaitMs: 20, moderationWaitMs: 20 });
}

function emailSender(t: Tap, db: Database, config: Config) {
  const s = createEmailSender({ db, smtp: config.smtp!, batsignalNumber: config.batsignalNumber, timeouts: { connection: 1000, greeting: 500, socket: 2000 } });
  t.teardown(() => s.close());
  return s;
}

const perAddress = (smtp: SmtpStandin, subject: RegExp) => {
  const m = new Map<string, number>();
  for (const mail of smtp.messages) if (subject.test(mail.subject)) for (const to of mail.to) m.set(to, (m.get(to) ?? 0) + 1);
  return m;
};

const replies = (forum: DiscourseStandin) => forum.topics.flatMap((x) => x.replies);

t.test('UPDATE by text and ALLCLEAR from the dashboard: one email to each member of the alert with an address, one reply each in the topic', async (t) => {
  const { db, forum, smtp, config } = await setup(t);
  const [adminId, janeId, bobId, chloeId, daveId, noMailId] = await addMembers(db, [
    { name: 'Alex Admin', phone: '+447700900500', organisation: 'Northtown', role: 'admin' },
    { name: 'Jane Smith', phone: '+447700900501', organisation: 'Northtown Trust' },
    { name: 'Bob Jones', phone: '+447700900502' },
    { name: 'Chloe Price', phone: '+447700900503' },
    { name: 'Dave Out', phone: '+447700900504', optedOut: true },
    { name: 'No Mail', phone: '+447700900505' },
  ]);
  await sql`UPDATE members SET email = lower(split_part(name, ' ', 1)) || '@nhs.example' WHERE id <> ${noMailId!}`.execute(db);
  const jane = await db.selectFrom('members').selectAll().where('id', '=', janeId!).executeTakeFirstOrThrow();
  const n = await db.transaction().execute(async (trx) =>
    (await createAlert(trx, { raiserId: jane.id, raiserName: jane.name, raiserOrg: jane.organisation, summary: 'Ransomware on ward PCs', exercise: false, source: 'sms' }, new Date(), otherChannels(config))).alert.number);
  // After the alert: Chloe opts out of texts (she still hears by email); Eve joins (she never saw it).
  await db.updateTable('members').set({ opted_out: true, opted_out_at: new Date() }).where('id', '=', chloeId!).execute();
  await addMembers(db, [{ name: 'Eve New', phone: '+447700900506' }]);
  await sql`UPDATE members SET email = 'eve@nhs.example' WHERE name = 'Eve New'`.execute(db);

  run(t, db, forumSender(db, config));
  run(t, db, emailSender(t, db, config));
  t.same(await settled(db, 'forum'), { sent: 1 });
  t.equal(forum.topics.length, 1);

  // UPDATE by text, as Jane would send it.
  const say = (text: string) => talker(db, config, jane).say(text);
  const prompt = await say(`UPDATE ${n} Patch KB5012 released, apply now`);
  t.match(await say(`CONFIRM ${codeIn(prompt)}`), /^Update for #1 sent to \d+ members/);

  // ALLCLEAR from the dashboard (POST /api/actions/send), the same writer.
  const app = await adminApp(db, () => new Date(), config);
  t.teardown(() => app.close());
  const clear = await app.inject({ method: 'POST', url: '/api/actions/preview', headers: bearer, payload: { adminId, kind: 'allclear', alert: n, text: 'Contained, stand down' } });
  t.equal(clear.statusCode, 200);
  const sent = await app.inject({ method: 'POST', url: '/api/actions/send', headers: bearer, payload: { adminId, kind: 'allclear', alert: n, text: 'Contained, stand down', previewedText: clear.json().text } });
  t.equal(sent.statusCode, 200);

  t.same(await settled(db, 'forum'), { sent: 3 }, 'the topic and two replies');
  const mails = await settled(db, 'email');
  t.same(mails, { sent: 3 * 4 + 0 }, 'the alert, the update and the all clear to 4 members each');

  // Members of the alert with an address: Alex (admin, a recipient), Bob, Chloe (opted out since),
  // Dave (opted out before: emailed the alert, no text). Not Jane (raised it), nor Eve (joined after).
  const expected = ['alex@nhs.example', 'bob@nhs.example', 'chloe@nhs.example', 'dave@nhs.example'];
  for (const [what, subject] of [['update', /^BATSIGNAL #1 UPDATE: Patch KB5012 released, apply now$/], ['all clear', /^BATSIGNAL #1 ALL CLEAR: Contained, stand down$/]] as const) {
    const got = perAddress(smtp, subject);
    t.same([...got.keys()].sort(), expected, `${what}: every member of the alert with an address`);
    t.ok([...got.values()].every((c) => c === 1), `${what}: exactly once each`);
  }
  const daveUpdate = smtp.to('dave@nhs.example').find((m) => / UPDATE: /.test(m.subject))!;
  t.match(daveUpdate.decoded, /Patch KB5012 released, apply now/);
  t.match(daveUpdate.decoded, /You opted out of alert texts/, 'says why it came by email only');
  t.match(daveUpdate.decoded, /From Jane Smith \(Northtown Trust\)/);
  t.notOk(smtp.to('eve@nhs.example').length, 'Eve joined after the alert');
  t.notOk(smtp.to('jane@nhs.example').length, 'the raiser is not emailed her own alert');
  t.equal(daveId! > 0 && bobId! > 0, true);

  const posts = replies(forum);
  t.equal(posts.length, 2, 'two replies, one each');
  t.match(posts[0]!.raw, /\*\*Batsignal #1 UPDATE\*\* from Jane Smith \\\(Northtown Trust\\\)/);
  t.match(posts[0]!.raw, /> Patch KB5012 released, apply now/);
  t.match(posts[1]!.raw, /\*\*Batsignal #1 ALL CLEAR\*\* from Alex Admin \\\(Northtown\\\)/);
  t.match(posts[1]!.raw, /> Contained, stand down/);
  t.match(posts[1]!.raw, /<!-- batsignal-post batsignal-\w+-1 \d+ -->$/, 'the marker a later attempt looks for');

  // Nothing more goes out: the alert is closed, and the rows are settled.
  const rows = await db.selectFrom('outbox').select(['channel', 'kind']).where('channel', '<>', 'sms').execute();
  t.equal(rows.filter((r) => r.kind === 'update').length, 5, 'update: 4 emails, 1 forum row');
  t.equal(rows.filter((r) => r.kind === 'allclear').length, 5, 'all clear: 4 emails, 1 forum row');
});

t.test('a follow-up written before the topic exists waits for it (forum down), then is posted once after the topic', async (t) => {
  const { db, forum, smtp, config } = await setup(t);
  const [adminId] = await addMembers(db, [{ name: 'Alex Admin', phone: '+447700900500', organisation: 'Northtown', role: 'admin' }, ...memberSpecs(3)]);
  await sql`UPDATE members SET email = 'm' || id || '@nhs.example'`.execute(db);
  const admin = await db.selectFrom('members').selectAll().where('id', '=', adminId!).executeTakeFirstOrThrow();
  await forum.down();
  const n = await db.transaction().execute(async (trx) =>
    (await createAlert(trx, { raiserId: admin.id, raiserName: admin.name, raiserOrg: admin.organisation, summary: 'Worm spreading over SMB', exercise: false, source: 'admin' }, new Date(), otherChannels(config))).alert.number);
  const r = await db.transaction().execute((trx) => sendFollowUp(trx, 'update', admin, n, 'Block port 445 at the edge', new Date(), otherChannels(config)));
  t.match(r, { outcome: 'sent', recipients: 3, emails: 3, forum: true });

  run(t, db, forumSender(db, config, 300));
  run(t, db, emailSender(t, db, config));
  // The topic's row retries against a server that is down; the reply waits without using up attempts.
  t.ok(await until(async () => {
    const x = await db.selectFrom('outbox').select(['attempts']).where('channel', '=', 'forum').where('kind', '=', 'alert').executeTakeFirstOrThrow();
    return x.attempts >= 2;
  }), 'the topic is being retried');
  const reply = await db.selectFrom('outbox').select(['state', 'attempts', 'last_error']).where('channel', '=', 'forum').where('kind', '=', 'update').executeTakeFirstOrThrow();
  t.not(reply.state, 'sent');
  t.not(reply.state, 'failed', 'not lost');
  t.ok(reply.attempts <= 1, 'waiting uses up no attempts');
  await forum.up();

  t.same(await settled(db, 'forum'), { sent: 2 });
  t.equal(forum.topics.length, 1);
  t.equal(replies(forum).length, 1, 'one reply, in the topic created meanwhile');
  t.match(replies(forum)[0]!.raw, /> Block port 445 at the edge/);
  const alert = await db.selectFrom('alerts').select('forum_topic_id').where('number', '=', n).executeTakeFirstOrThrow();
  t.equal(alert.forum_topic_id, forum.topics[0]!.id);
  t.same(await settled(db, 'email'), { sent: 6 });
  t.equal(perAddress(smtp, / UPDATE: /).size, 3);
});

t.test('a reply posted but not answered (timeout) is found by its marker, not posted again; a topic that failed for good fails its replies', async (t) => {
  const { db, forum, config } = await setup(t);
  const [adminId] = await addMembers(db, [{ name: 'Alex Admin', phone: '+447700900500', organisation: 'Northtown', role: 'admin' }, ...memberSpecs(2)]);
  const admin = await db.selectFrom('members').selectAll().where('id', '=', adminId!).executeTakeFirstOrThrow();
  const raise = (summary: string) =>
    db.transaction().execute(async (trx) =>
      (await createAlert(trx, { raiserId: admin.id, raiserName: admin.name, raiserOrg: admin.organisation, summary, exercise: false, source: 'admin' }, new Date(), otherChannels(config))).alert.number);
  const first = await raise('Worm spreading over SMB');
  run(t, db, forumSender(db, config, 300));
  t.same(await settled(db, 'forum'), { sent: 1 });

  forum.next('post', { kind: 'createThen', then: 'hang' });
  await db.transaction().execute((trx) => sendFollowUp(trx, 'update', admin, first, 'Patch now', new Date(), otherChannels(config)));
  t.same(await settled(db, 'forum'), { sent: 2 });
  t.equal(replies(forum).length, 1, 'exactly one reply although the first attempt timed out after posting');
  const row = await db.selectFrom('outbox').select(['attempts', 'provider_id']).where('channel', '=', 'forum').where('kind', '=', 'update').executeTakeFirstOrThrow();
  t.equal(row.attempts, 2);
  t.equal(row.provider_id, 'posted', 'found by its marker');

  // A second alert whose topic Discourse refuses for good (403): its ALLCLEAR reply fails with the reason, it does not wait forever.
  forum.next('lookup', { kind: 'status', status: 404 }, 0);
  forum.next('post', { kind: 'status', status: 403, body: { errors: ['not permitted'] } });
  const second = await raise('Phishing wave with invoice lure');
  await db.transaction().execute((trx) => sendFollowUp(trx, 'allclear', admin, second, '', new Date(), otherChannels(config)));
  t.same(await settled(db, 'forum'), { sent: 2, failed: 2 });
  const failed = await db.selectFrom('outbox').select(['kind', 'last_error']).where('channel', '=', 'forum').where('state', '=', 'failed').orderBy('id').execute();
  t.match(failed, [{ kind: 'alert' }, { kind: 'allclear', last_error: /topic of alert #2 was never created/ }]);
  t.equal(replies(forum).length, 1);
});

t.test('a topic held for a moderator: the reply waits (attempts given back) and is posted once the topic is approved', async (t) => {
  const { db, forum, config } = await setup(t);
  const [adminId] = await addMembers(db, [{ name: 'Alex Admin', phone: '+447700900500', organisation: 'Northtown', role: 'admin' }, ...memberSpecs(2)]);
  const admin = await db.selectFrom('members').selectAll().where('id', '=', adminId!).executeTakeFirstOrThrow();
  forum.next('post', { kind: 'enqueued' });
  const n = await db.transaction().execute(async (trx) =>
    (await createAlert(trx, { raiserId: admin.id, raiserName: admin.name, raiserOrg: admin.organisation, summary: 'Phishing wave with invoice lure', exercise: false, source: 'admin' }, new Date(), otherChannels(config))).alert.number);
  await db.transaction().execute((trx) => sendFollowUp(trx, 'update', admin, n, 'Do not open the invoices', new Date(), otherChannels(config)));
  run(t, db, forumSender(db, config));

  // The topic is held; the reply asks for it again and again without using up its attempts (maxAttempts 5 here).
  t.ok(await until(async () => forum.requests.filter((r) => r.startsWith('GET /t/external_id/')).length >= 8), 'the reply keeps looking for the topic');
  const waiting = await db.selectFrom('outbox').select(['state', 'attempts', 'last_error']).where('channel', '=', 'forum').where('kind', '=', 'update').executeTakeFirstOrThrow();
  t.not(waiting.state, 'failed', 'not given up although it looked more times than its attempts allow');
  t.ok(waiting.attempts <= 1);
  t.match(waiting.last_error, /held for a moderator/);
  t.equal(forum.pendingPosts.length, 1);

  // A moderator approves: the topic now exists under the alert's external_id.
  const externalId = forum.pendingPosts[0]!.externalId!;
  forum.topics.push({ id: 900, slug: 'phishing-wave', title: forum.pendingPosts[0]!.title, raw: 'approved topic body text', category: 7, externalId, username: forum.apiUsername, replies: [] });
  t.same(await settled(db, 'forum'), { sent: 2 });
  t.equal(forum.topics[0]!.replies.length, 1, 'one reply, in the approved topic');
  t.match(forum.topics[0]!.replies[0]!.raw, /> Do not open the invoices/);
  const alert = await db.selectFrom('alerts').select('forum_topic_id').where('number', '=', n).executeTakeFirstOrThrow();
  t.equal(alert.forum_topic_id, 900, 'the approved topic is recorded on the alert');
});
