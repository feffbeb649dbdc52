// The forum and email senders driven by the real outbox dispatcher (src/outbox/dispatcher.ts)
// against the stand-ins: one topic per alert and one email per member, exactly, whatever fails.
// Waits are for outcomes (polled), never timed assertions; the backoff is shortened.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, testConfig } from './helpers/alert-fixtures.js';
import { startDiscourseStandin, type Behaviour, type Route } from './helpers/discourse-standin.js';
import { startSmtpStandin } from './helpers/smtp-standin.js';
import type { Database } from '../src/db/connect.js';
import type { Config } from '../src/config.js';
import type { Sender } from '../src/outbox/channel.js';
import { startDispatcher, type Dispatcher } from '../src/outbox/dispatcher.js';
import { createAlert } from '../src/alerts/create.js';
import { otherChannels } from '../src/outbox/write.js';
import { createForumSender } from '../src/channels/forum/sender.js';
import { createEmailSender } from '../src/channels/email/sender.js';

type Tap = Parameters<typeof freshDatabase>[0];
const quiet = { info() {}, warn() {}, error() {} };
const FAST = { pollMs: 20, flushMs: 1, receiptGraceMs: 50, backoff: { baseMs: 20, capMs: 200, jitter: 0, maxAttempts: 20 } };

function run(t: Tap, db: Database, sender: Sender): Dispatcher {
  const d = startDispatcher(db, sender, quiet, FAST);
  t.teardown(() => d.stop());
  return d;
}

async function raise(db: Database, config: Config): Promise<number> {
  const r = await db.transaction().execute((trx) =>
    createAlert(
      trx,
      { raiserId: null, raiserName: 'Jane Smith', raiserOrg: 'Northtown Trust', summary: 'Worm spreading over SMB between trusts', exercise: false, source: 'admin' },
      new Date(),
      otherChannels(config),
    ),
  );
  return r.alert.number;
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

const forumCases: [string, Route, Behaviour, number][] = [
  ['success', 'post', { kind: 'status', status: 200 }, 0],
  ['429 with a wait', 'post', { kind: 'rateLimit', waitSeconds: 1 }, 1],
  ['5xx three times', 'post', { kind: 'status', status: 502 }, 3],
  ['timeout', 'post', { kind: 'hang' }, 1],
  ['created, then 500', 'post', { kind: 'createThen', then: 'fail' }, 1],
  ['created, then no answer', 'post', { kind: 'createThen', then: 'hang' }, 1],
  ['lookup 503', 'lookup', { kind: 'status', status: 503 }, 2],
];

for (const [name, route, behaviour, times] of forumCases) {
  t.test(`forum through the dispatcher, ${name}: one topic`, async (t) => {
    const { db } = await freshDatabase(t);
    const d = await startDiscourseStandin();
    t.teardown(() => d.close());
    const config = testConfig({ DISCOURSE_URL: d.url, DISCOURSE_API_KEY: d.apiKey, DISCOURSE_API_USERNAME: d.apiUsername, DISCOURSE_CATEGORY_ID: '7' });
    await addMembers(db, memberSpecs(3));
    if (times > 0) d.next(route, behaviour, times);
    const n = await raise(db, config);
    run(t, db, createForumSender({ db, discourse: config.discourse!, batsignalNumber: config.batsignalNumber, timeoutMs: 300 }));

    t.same(await settled(db, 'forum'), { sent: 1 });
    t.equal(d.topics.length, 1, 'exactly one topic');
    const alert = await db.selectFrom('alerts').select(['forum_topic_id', 'forum_topic_url']).where('number', '=', n).executeTakeFirstOrThrow();
    t.equal(alert.forum_topic_id, d.topics[0]!.id);
    t.equal(alert.forum_topic_url, `${d.url}/t/${d.topics[0]!.slug}/${d.topics[0]!.id}`);
  });
}

t.test('email through the dispatcher: temporary refusal, permanent refusal, server down then up', async (t) => {
  const { db } = await freshDatabase(t);
  const smtp = await startSmtpStandin();
  t.teardown(() => smtp.close());
  const config = testConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'batsignal@nhs.example' });
  await addMembers(db, memberSpecs(12));
  await sql`UPDATE members SET email = 'm' || id || '@nhs.example'`.execute(db);
  const sender = createEmailSender({ db, smtp: config.smtp!, batsignalNumber: config.batsignalNumber, timeouts: { connection: 1000, greeting: 500, socket: 2000 } });
  t.teardown(() => sender.close());

  // Alert 1: one mailbox busy (451) for a while, one that does not exist (550).
  smtp.refuse('m3@nhs.example', { code: 451, message: '4.2.1 Mailbox busy' });
  smtp.refuse('m4@nhs.example', { code: 550, message: '5.1.1 No such user' });
  const first = await raise(db, config);
  const dispatcher = run(t, db, sender);
  const end = Date.now() + 20_000;
  while (dispatcher.stats().retried < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  smtp.refuse('m3@nhs.example', null);
  t.same(await settled(db, 'email'), { sent: 11, failed: 1 });
  const failed = await db.selectFrom('outbox').select(['recipient', 'last_error', 'attempts']).where('channel', '=', 'email').where('state', '=', 'failed').execute();
  t.match(failed, [{ recipient: 'm4@nhs.example', last_error: /550 5\.1\.1 No such user/, attempts: 1 }]);
  t.equal(smtp.messages.length, 11);
  t.equal(new Set(smtp.messages.flatMap((m) => m.to)).size, 11, 'nobody emailed twice');
  t.equal(smtp.to('m3@nhs.example').length, 1, 'the busy mailbox got it once it was free');

  // Alert 2 while the mail server is down: everything waits, then goes once.
  await smtp.down();
  const second = await raise(db, config);
  const stuck = Date.now() + 20_000;
  while (Date.now() < stuck) {
    const r = await db.selectFrom('outbox').select(['attempts']).where('channel', '=', 'email').where('alert_number', '=', second).execute();
    if (r.every((x) => x.attempts >= 2)) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const waiting = await db.selectFrom('outbox').select(['state', 'last_error']).where('alert_number', '=', second).where('channel', '=', 'email').execute();
  t.ok(waiting.every((w) => w.state !== 'sent'), 'nothing sent while down');
  await smtp.up();
  t.same(await settled(db, 'email'), { sent: 22, failed: 2 }, 'the missing mailbox is refused again for alert 2');
  const perMember = new Map<string, number>();
  for (const m of smtp.messages) for (const to of m.to) perMember.set(to, (perMember.get(to) ?? 0) + 1);
  t.equal(smtp.messages.length, 22);
  t.ok([...perMember.entries()].every(([to, c]) => c === (to === 'm4@nhs.example' ? 0 : 2)), 'one email per member per alert');
  t.ok(first < second);
});
