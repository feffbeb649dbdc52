// The service's own workers (src/workers.ts) with Discourse and SMTP configured: texts go first.
import t from 'tap';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, testConfig } from './helpers/alert-fixtures.js';
import { startDiscourseStandin } from './helpers/discourse-standin.js';
import { startSmtpStandin } from './helpers/smtp-standin.js';
import { createAlert } from '../src/alerts/create.js';
import { otherChannels } from '../src/outbox/write.js';
import { startWorkers } from '../src/workers.js';
import { createOutboxSignal } from '../src/outbox/signal.js';
import type { Database } from '../src/db/connect.js';

async function states(db: Database, channel: 'sms' | 'email' | 'forum') {
  const rows = await db.selectFrom('outbox').select('state').where('channel', '=', channel).execute();
  return { total: rows.length, sent: rows.filter((r) => r.state === 'sent').length };
}

async function until(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

t.test('forum and mail down for the whole broadcast: texts complete; forum and email follow once they are back', async (t) => {
  const { db } = await freshDatabase(t);
  const forum = await startDiscourseStandin();
  const smtp = await startSmtpStandin();
  t.teardown(async () => {
    await forum.close();
    await smtp.close();
  });
  await forum.down();
  await smtp.down();

  const ids = await addMembers(db, memberSpecs(40));
  await sql`UPDATE members SET email = 'm' || id || '@nhs.example'`.execute(db);
  const config = testConfig({
    DISCOURSE_URL: forum.url, DISCOURSE_API_KEY: forum.apiKey, DISCOURSE_API_USERNAME: forum.apiUsername, DISCOURSE_CATEGORY_ID: '7',
    SMTP_URL: smtp.url, MAIL_FROM: 'batsignal@nhs.example', SMS_RATE_PER_SECOND: '0',
  });
  const outboxSignal = createOutboxSignal(db);
  const workers = startWorkers({ config, db, clock: () => new Date(), adminTokens: ['x'.repeat(20)], outboxSignal }, Fastify({ logger: false }).log);
  t.teardown(() => workers.stop());

  const raiser = (await db.selectFrom('members').selectAll().where('id', '=', ids[0]!).executeTakeFirstOrThrow());
  await db.transaction().execute((trx) =>
    createAlert(trx, { raiserId: raiser.id, raiserName: raiser.name, raiserOrg: raiser.organisation, summary: 'Ransomware on ward PCs', exercise: false, source: 'sms' }, new Date(), otherChannels(config)));
  outboxSignal.touch();

  t.ok(await until(async () => (await states(db, 'sms')).sent === 39, 20_000), 'every text sent while forum and mail are down');
  t.same(await states(db, 'forum'), { total: 1, sent: 0 }, 'the forum post waits');
  t.same(await states(db, 'email'), { total: 39, sent: 0 }, 'the emails wait');

  await forum.up();
  await smtp.up();
  const done = await until(async () => (await states(db, 'forum')).sent === 1 && (await states(db, 'email')).sent === 39, 90_000);
  t.ok(done, 'forum and email complete once the servers are back');
  t.equal(forum.topics.length, 1, 'one topic');
  t.equal(smtp.messages.length, 39, 'one email per member with an address, raiser excluded');
  t.equal(new Set(smtp.messages.flatMap((m) => m.to)).size, 39, 'no member emailed twice');
});
