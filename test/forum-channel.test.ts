// The forum channel against a stand-in with Discourse's API shape: one topic per alert, exactly,
// whatever Discourse answers (success, 429 with its wait, 5xx, timeout, created-then-failed).
import t from 'tap';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, testConfig } from './helpers/alert-fixtures.js';
import { startDiscourseStandin, type DiscourseStandin } from './helpers/discourse-standin.js';
import { drainAll, drainOnce, rowsOf } from './helpers/outbox-step.js';
import type { Database } from '../src/db/connect.js';
import type { Config } from '../src/config.js';
import { createAlert, type NewAlert } from '../src/alerts/create.js';
import { otherChannels } from '../src/outbox/write.js';
import { createForumSender } from '../src/channels/forum/sender.js';
import { renderTopic, topicTitle } from '../src/channels/forum/render.js';
import { forumExternalId } from '../src/db/install-id.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function configFor(d: DiscourseStandin, env: Record<string, string> = {}): Config {
  return testConfig({
    DISCOURSE_URL: d.url,
    DISCOURSE_API_KEY: d.apiKey,
    DISCOURSE_API_USERNAME: d.apiUsername,
    DISCOURSE_CATEGORY_ID: '7',
    ...env,
  });
}

async function raise(db: Database, config: Config, a: Partial<NewAlert> = {}): Promise<number> {
  const r = await db.transaction().execute((trx) =>
    createAlert(
      trx,
      { raiserId: null, raiserName: 'Jane Smith', raiserOrg: 'Northtown Trust', summary: 'Ransomware spreading via SMB on the N3 link', exercise: false, source: 'admin', ...a },
      T0,
      otherChannels(config),
    ),
  );
  return r.alert.number;
}

async function setup(t: Tap, env: Record<string, string> = {}, timeoutMs = 2000) {
  const { db } = await freshDatabase(t);
  const d = await startDiscourseStandin();
  t.teardown(() => d.close());
  const config = configFor(d, env);
  await addMembers(db, memberSpecs(5));
  const sender = createForumSender({ db, discourse: config.discourse!, batsignalNumber: config.batsignalNumber, timeoutMs });
  return { db, d, config, sender };
}
type Tap = Parameters<typeof freshDatabase>[0];

async function alertRow(db: Database, n: number) {
  return db.selectFrom('alerts').selectAll().where('number', '=', n).executeTakeFirstOrThrow();
}

t.test('success: one topic in the category, its id and URL on the alert', async (t) => {
  const { db, d, config, sender } = await setup(t);
  const n = await raise(db, config);
  const [row] = await rowsOf(db, 'forum', n);
  t.equal(row?.state, 'pending');
  t.match(row?.payload, { externalId: /^batsignal-[0-9a-f]{8}-1$/ });

  await drainAll(db, sender, T0);
  t.equal(d.topics.length, 1, 'one topic');
  const topic = d.topics[0]!;
  t.equal(topic.category, 7);
  t.equal(topic.title, 'Batsignal #1: Ransomware spreading via SMB on the N3 link');
  t.equal(topic.externalId, (row!.payload as { externalId: string }).externalId);
  t.match(topic.raw, /Jane Smith \\\(Northtown Trust\\\)/);
  t.match(topic.raw, /ACK 1\*\* to \+447700900999/);
  t.match(topic.raw, /Ransomware spreading via SMB on the N3 link/);
  t.same(d.requests, ['GET /t/external_id/' + topic.externalId + '.json', 'POST /posts.json'], 'looked up, then posted');

  const alert = await alertRow(db, n);
  t.equal(alert.forum_topic_id, topic.id);
  t.equal(alert.forum_topic_url, `${d.url}/t/${topic.slug}/${topic.id}`);
  const [done] = await rowsOf(db, 'forum', n);
  t.equal(done?.state, 'sent');
  t.equal(done?.provider_id, String(topic.id));
});

t.test('429 with a wait: retried after Discourse’s wait, one topic', async (t) => {
  const { db, d, config, sender } = await setup(t);
  const n = await raise(db, config);
  d.next('post', { kind: 'rateLimit', waitSeconds: 42 });
  const first = await drainOnce(db, sender, T0);
  t.same(first, { sent: 0, retried: 1, failed: 0, waits: [42_000] }, 'waits as told');
  const [row] = await rowsOf(db, 'forum', n);
  t.match(row?.last_error, /429/);
  t.same(await drainOnce(db, sender, at(41_000)), { sent: 0, retried: 0, failed: 0, waits: [] }, 'not before the wait');
  t.equal((await drainOnce(db, sender, at(42_000))).sent, 1);
  t.equal(d.topics.length, 1);
});

t.test('429 from the per-IP limiter (text/plain, Retry-After only) on the lookup', async (t) => {
  const { db, d, config, sender } = await setup(t);
  await raise(db, config);
  d.next('lookup', { kind: 'rateLimit', waitSeconds: 7, plain: true });
  t.same((await drainOnce(db, sender, T0)).waits, [7000]);
  await drainAll(db, sender, at(7000));
  t.equal(d.topics.length, 1);
});

t.test('5xx: retried with backoff until Discourse is back, one topic', async (t) => {
  const { db, d, config, sender } = await setup(t);
  const n = await raise(db, config);
  d.always({ kind: 'status', status: 503, body: 'Service Unavailable' });
  let now = T0;
  for (let i = 0; i < 3; i++) {
    const r = await drainOnce(db, sender, now);
    t.equal(r.retried, 1, `attempt ${i + 1} retried`);
    now = at(60_000 * (i + 1));
  }
  t.match((await rowsOf(db, 'forum', n))[0]?.last_error, /unavailable \(503\)/);
  d.always(null);
  await drainAll(db, sender, now);
  t.equal(d.topics.length, 1);
  t.equal((await rowsOf(db, 'forum', n))[0]?.attempts, 4);
});

t.test('timeout with no topic created: retried, one topic', async (t) => {
  const { db, d, config, sender } = await setup(t, {}, 300);
  const n = await raise(db, config);
  d.next('post', { kind: 'hang' });
  t.equal((await drainOnce(db, sender, T0)).retried, 1);
  t.match((await rowsOf(db, 'forum', n))[0]?.last_error, /may have been created/);
  await drainAll(db, sender, at(10_000));
  t.equal(d.topics.length, 1);
  t.equal(d.requests.filter((r) => r.startsWith('POST')).length, 2, 'posted again after finding nothing');
});

for (const then of ['fail', 'hang'] as const) {
  t.test(`uncertain failure after the topic was created (${then}): found by external_id, not posted again`, async (t) => {
    const { db, d, config, sender } = await setup(t, {}, 300);
    const n = await raise(db, config);
    d.next('post', { kind: 'createThen', then });
    t.equal((await drainOnce(db, sender, T0)).retried, 1);
    t.equal(d.topics.length, 1, 'Discourse has the topic');
    t.equal((await alertRow(db, n)).forum_topic_id, null, 'we do not know it yet');

    await drainAll(db, sender, at(10_000));
    t.equal(d.topics.length, 1, 'still one topic');
    t.equal(d.requests.filter((r) => r.startsWith('POST')).length, 1, 'one POST in all');
    const alert = await alertRow(db, n);
    t.equal(alert.forum_topic_id, d.topics[0]!.id);
    t.equal(alert.forum_topic_url, `${d.url}/t/${d.topics[0]!.slug}/${d.topics[0]!.id}`);
  });
}

t.test('422 duplicate external_id (another attempt won the race): the existing topic is recorded', async (t) => {
  const { db, d, config, sender } = await setup(t);
  const n = await raise(db, config);
  const [row] = await rowsOf(db, 'forum', n);
  const externalId = (row!.payload as { externalId: string }).externalId;
  // A topic with our external_id appears between our lookup and our POST.
  const other = await fetch(`${d.url}/posts.json`, {
    method: 'POST',
    headers: { 'Api-Key': d.apiKey, 'Api-Username': d.apiUsername, 'Content-Type': 'application/json' },
    body: JSON.stringify({ title: 'Batsignal #1: created by a concurrent attempt', raw: 'A body long enough for Discourse.', category: 7, external_id: externalId }),
  });
  t.equal(other.status, 200);
  d.next('lookup', { kind: 'status', status: 404, body: { errors: ['not found'], error_type: 'not_found' } });
  t.equal((await drainOnce(db, sender, T0)).sent, 1);
  t.equal(d.topics.length, 1);
  t.equal((await alertRow(db, n)).forum_topic_id, d.topics[0]!.id);
});

t.test('queued for approval ({"action":"enqueued"}): recorded as sent, not retried', async (t) => {
  const { db, d, config, sender } = await setup(t);
  const n = await raise(db, config);
  d.next('post', { kind: 'enqueued' });
  t.same(await drainOnce(db, sender, T0), { sent: 1, retried: 0, failed: 0, waits: [] });
  t.equal((await rowsOf(db, 'forum', n))[0]?.provider_id, 'enqueued:1');
  t.match((await rowsOf(db, 'forum', n))[0]?.last_error, /moderator approval/, 'the note says why there is no link');
  t.equal(d.pendingPosts.length, 1);
  t.equal(d.topics.length, 0);
  t.equal((await alertRow(db, n)).forum_topic_url, null);
});

t.test('other 4xx: failed for good with Discourse’s reason', async (t) => {
  const { db, d, config, sender } = await setup(t, { DISCOURSE_CATEGORY_ID: '99' });
  const n = await raise(db, config);
  t.equal((await drainOnce(db, sender, T0)).failed, 1);
  const [row] = await rowsOf(db, 'forum', n);
  t.equal(row?.state, 'failed');
  t.match(row?.last_error, /refused the topic \(422\): Category/);
  t.equal(d.topics.length, 0);

  const bad = createForumSender({ db, discourse: { ...config.discourse!, apiKey: 'wrong' }, batsignalNumber: config.batsignalNumber });
  const n2 = await raise(db, config);
  await drainOnce(db, bad, T0);
  t.match((await rowsOf(db, 'forum', n2))[0]?.last_error, /403: You are not permitted/);
});

t.test('connection refused: retried, posted once Discourse is back', async (t) => {
  const { db, d, config, sender } = await setup(t);
  const n = await raise(db, config);
  await d.down();
  t.equal((await drainOnce(db, sender, T0)).retried, 1);
  t.match((await rowsOf(db, 'forum', n))[0]?.last_error, /unreachable: ECONNREFUSED$/);
  await d.up();
  await drainAll(db, sender, at(5000));
  t.equal(d.topics.length, 1);
});

t.test('fan-out: forum row only when configured, never for a forum-raised alert', async (t) => {
  const { db, d, config, sender } = await setup(t);
  const fromForum = await raise(db, config, { source: 'forum', forumTopicId: 555, forumTopicUrl: `${d.url}/t/x/555` });
  t.same(await rowsOf(db, 'forum', fromForum), [], 'no forum row for a topic that exists');
  const textsOnly = await raise(db, testConfig());
  t.same(await rowsOf(db, 'forum', textsOnly), [], 'Discourse not configured');
  t.equal((await rowsOf(db, 'sms', textsOnly)).length, 5, 'texts still go');

  // A forum row whose alert already has a topic (recorded by an earlier attempt) sends nothing.
  const n = await raise(db, config);
  await db.updateTable('alerts').set({ forum_topic_id: 9999, forum_topic_url: 'x' }).where('number', '=', n).execute();
  t.equal((await drainOnce(db, sender, T0)).sent, 1);
  t.same(d.requests, []);
});

t.test('topic words: title limits, exercise marked, member text escaped', async (t) => {
  t.equal(topicTitle({ number: 3, summary: ' ', exercise: false }), 'Batsignal #3: (alert)', 'at least 15 characters');
  t.equal(topicTitle({ number: 12, summary: 'Test cascade', exercise: true }), 'EXERCISE Batsignal #12: Test cascade');
  const long = topicTitle({ number: 1, summary: 'word '.repeat(100), exercise: false });
  t.ok(long.length <= 120 && long.endsWith('...'), long);
  const r = renderTopic(
    { number: 4, raiser_name: 'Jo <b>', raiser_org: '', summary: 'See @admins and #cat [link](http://x) <script>', exercise: true, created_at: T0 },
    '447700900999',
  );
  t.match(r.raw, /^\*\*EXERCISE/);
  t.match(r.raw, /\\@admins and \\#cat \\\[link\\\]\\\(http/);
  t.notMatch(r.raw, /<script>/);
  t.match(r.raw, /Mon, 23 Nov 2026, 10:00 GMT/);
  t.equal(forumExternalId('ab12cd34', 12), 'batsignal-ab12cd34-12');
});
