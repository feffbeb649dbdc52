// A forum and a mail server that accept the connection and never answer (issue #12): the
// service's own workers (src/workers.ts, production timeouts and backoff) send a broadcast at the
// configured SMS rate through the real Vonage client to the Vonage stand-in. Every text goes,
// once, while the forum and email attempts are still hanging; those rows time out and are tried
// again (not lost, not failed); once the servers answer, one topic and one email per member go.
// Waits are for outcomes (polled), never timed assertions.
import t from 'tap';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, testConfig } from './helpers/alert-fixtures.js';
import { startDiscourseStandin } from './helpers/discourse-standin.js';
import { startSmtpStandin } from './helpers/smtp-standin.js';
import { startVonageStandin } from './helpers/vonage-standin.js';
import { createAlert } from '../src/alerts/create.js';
import { otherChannels } from '../src/outbox/write.js';
import { startWorkers } from '../src/workers.js';
import { createOutboxSignal } from '../src/outbox/signal.js';
import type { Database } from '../src/db/connect.js';

async function until(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function rows(db: Database, channel: 'sms' | 'email' | 'forum') {
  return db.selectFrom('outbox').select(['state', 'attempts', 'last_error', 'recipient']).where('channel', '=', channel).execute();
}

t.test('forum and mail hanging (connection accepted, no answer): every text goes at the SMS rate; forum and email are retried, then sent once', async (t) => {
  const { db } = await freshDatabase(t);
  const vonage = await startVonageStandin();
  const forum = await startDiscourseStandin();
  const smtp = await startSmtpStandin();
  t.teardown(async () => {
    await vonage.close();
    await forum.close();
    await smtp.close();
  });
  forum.always({ kind: 'hang' });
  await smtp.hang();

  const MEMBERS = 90;
  const ids = await addMembers(db, memberSpecs(MEMBERS));
  await sql`UPDATE members SET email = 'm' || id || '@nhs.example'`.execute(db);
  // The production defaults: SMS_RATE_PER_SECOND 30, the forum's 10 s request timeout, the mail
  // client's 10 s greeting timeout, OTHER_CHANNEL_BACKOFF. Nothing is shortened for the test.
  const config = testConfig({
    VONAGE_API_KEY: vonage.apiKey, VONAGE_API_SECRET: vonage.apiSecret, VONAGE_REST_HOST: vonage.url,
    DISCOURSE_URL: forum.url, DISCOURSE_API_KEY: forum.apiKey, DISCOURSE_API_USERNAME: forum.apiUsername, DISCOURSE_CATEGORY_ID: '7',
    SMTP_URL: smtp.url, MAIL_FROM: 'batsignal@nhs.example',
  });
  t.equal(config.smsRatePerSecond, 30, 'the configured SMS rate, not unlimited');
  const outboxSignal = createOutboxSignal(db);
  const workers = startWorkers({ config, db, clock: () => new Date(), adminTokens: ['x'.repeat(20)], outboxSignal }, Fastify({ logger: false }).log);
  t.teardown(() => workers.stop());

  const raiser = await db.selectFrom('members').selectAll().where('id', '=', ids[0]!).executeTakeFirstOrThrow();
  await db.transaction().execute((trx) =>
    createAlert(trx, { raiserId: raiser.id, raiserName: raiser.name, raiserOrg: raiser.organisation, summary: 'Ransomware on ward PCs', exercise: false, source: 'sms' }, new Date(), otherChannels(config)));
  outboxSignal.touch();

  // Every text, once, while the forum and mail servers are holding their requests unanswered.
  t.ok(await until(async () => (await rows(db, 'sms')).every((r) => r.state === 'sent'), 60_000), 'every text sent');
  const accepted = vonage.accepted();
  t.equal(accepted.length, MEMBERS - 1, 'one provider request per recipient');
  t.equal(new Set(accepted.map((r) => r.to)).size, MEMBERS - 1, 'nobody texted twice');
  const forumNow = await rows(db, 'forum');
  const emailNow = await rows(db, 'email');
  t.equal(forumNow.length, 1);
  t.equal(emailNow.length, MEMBERS - 1);
  t.ok([...forumNow, ...emailNow].every((r) => r.state !== 'sent' && r.state !== 'failed'), 'no forum post or email has gone, none given up');
  t.ok(forum.requests.length >= 1, `the forum was asked and is not answering (${forum.requests.length} requests)`);
  t.ok(smtp.hung >= 1, `the mail server accepted connections and is not answering (${smtp.hung})`);
  t.equal(forum.topics.length, 0);
  t.equal(smtp.messages.length, 0);

  // The hanging attempts time out and the rows are tried again: retried, not lost.
  t.ok(
    await until(async () => (await rows(db, 'forum')).every((r) => r.attempts >= 2) && (await rows(db, 'email')).some((r) => r.attempts >= 2), 90_000),
    'forum and email attempts time out and are retried',
  );
  const forumRetried = await rows(db, 'forum');
  const emailRetried = await rows(db, 'email');
  t.ok([...forumRetried, ...emailRetried].every((r) => r.state === 'pending' || r.state === 'sending'), 'still to go: nothing failed for good');
  t.match(forumRetried[0]!.last_error, /discourse unreachable|timeout|aborted/i, 'the forum row says it timed out');
  t.ok(emailRetried.some((r) => /mail server|timeout|greeting/i.test(r.last_error ?? '')), 'an email row says the server did not answer');

  // The servers answer again: one topic, one email per member, nobody twice.
  forum.always(null);
  await smtp.up();
  const done = await until(async () => (await rows(db, 'forum')).every((r) => r.state === 'sent') && (await rows(db, 'email')).every((r) => r.state === 'sent'), 180_000);
  t.ok(done, 'forum and email complete once the servers answer');
  t.equal(forum.topics.length, 1, 'one topic');
  t.equal(smtp.messages.length, MEMBERS - 1, 'one email per member with an address, raiser excluded');
  t.equal(new Set(smtp.messages.flatMap((m) => m.to)).size, MEMBERS - 1, 'no member emailed twice');
  t.equal(vonage.accepted().length, MEMBERS - 1, 'and still one text each');
});
