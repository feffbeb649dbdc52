// Raising from the forum: Discourse's signed outgoing webhook through the real app (inject).
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, adminApp, testConfig } from './helpers/alert-fixtures.js';
import { discourseSignature as standinSignature, topicCreatedBody } from './helpers/discourse-standin.js';
import type { Database } from '../src/db/connect.js';
import { discourseSignature, verifyDiscourseSignature } from '../src/webhooks/discourse.js';
import { summaryFromTitle } from '../src/inbound/forum-raise.js';

const SECRET = 'forum-webhook-secret-for-tests';
const FORUM = 'https://forum.nhs.test';
const T0 = new Date('2026-11-23T10:00:00Z');
type Tap = Parameters<typeof freshDatabase>[0];

const config = testConfig({
  DISCOURSE_URL: FORUM,
  DISCOURSE_API_KEY: 'discourse-api-key',
  DISCOURSE_API_USERNAME: 'batsignal',
  DISCOURSE_CATEGORY_ID: '7',
  DISCOURSE_WEBHOOK_SECRET: SECRET,
  SMTP_URL: 'smtp://127.0.0.1:2525',
  MAIL_FROM: 'alerts@batsignal.test',
});

async function setup(t: Tap, cfg = config) {
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(8));
  // Member 0 is on the forum as JSmith; members 1-5 have email addresses.
  await db.updateTable('members').set({ forum_username: 'JSmith', name: 'Jane Smith', organisation: 'Northtown Trust', email: 'jane@nhs.test' }).where('id', '=', ids[0]!).execute();
  for (let i = 1; i <= 5; i++) await db.updateTable('members').set({ email: `m${i}@nhs.test` }).where('id', '=', ids[i]!).execute();
  const app = await adminApp(db, () => T0, cfg);
  t.teardown(() => app.close());
  return { db, app, ids };
}

interface Delivery {
  body: string;
  event?: string;
  eventType?: string;
  eventId?: string;
  signature?: string | null;
}

function deliver(app: Awaited<ReturnType<typeof adminApp>>, d: Delivery) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-discourse-event': d.event ?? 'topic_created',
    'x-discourse-event-type': d.eventType ?? 'topic',
    'x-discourse-event-id': d.eventId ?? '1001',
    'x-discourse-instance': FORUM,
  };
  const sig = d.signature === undefined ? discourseSignature(SECRET, d.body) : d.signature;
  if (sig !== null) headers['x-discourse-event-signature'] = sig;
  return app.inject({ method: 'POST', url: '/webhooks/discourse', headers, payload: d.body });
}

const topic = (over: Partial<{ id: number; title: string; categoryId: number; username: string; createdAt: string | null }> = {}) =>
  topicCreatedBody({ id: 321, title: 'Ransomware on PACS servers, spreading over SMB', categoryId: 7, username: 'jsmith', ...over });

async function counts(db: Database) {
  const r = await sql<{ alerts: number; outbox: number }>`
    SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM outbox) AS outbox`.execute(db);
  return r.rows[0]!;
}

t.test('signature: the PROTOCOLS.md test vector, and the stand-in agrees', async (t) => {
  const vector = 'sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6';
  t.equal(discourseSignature('my_lovely_secret_for_web_hook', '{"ping":"OK"}'), vector);
  t.equal(standinSignature('my_lovely_secret_for_web_hook', '{"ping":"OK"}'), vector);
  const body = Buffer.from('{"ping":"OK"}');
  t.ok(verifyDiscourseSignature('my_lovely_secret_for_web_hook', body, vector));
  t.ok(verifyDiscourseSignature('my_lovely_secret_for_web_hook', body, vector.toUpperCase().replace('SHA256', 'sha256')), 'hex case-insensitive');
  t.notOk(verifyDiscourseSignature('my_lovely_secret_for_web_hook', Buffer.from('{"ping": "OK"}'), vector), 'one byte different');
  t.notOk(verifyDiscourseSignature('another_secret', body, vector));
  t.notOk(verifyDiscourseSignature('my_lovely_secret_for_web_hook', body, vector.slice(0, -2)), 'short');
  t.notOk(verifyDiscourseSignature('my_lovely_secret_for_web_hook', body, ['x']), 'not a string');
});

t.test('a new topic in the Batsignal category by a member raises the alert, once', async (t) => {
  const { db, app, ids } = await setup(t);
  const res = await deliver(app, { body: topic() });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { result: 'raised', alert: 1, recipients: 7 });

  const alert = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  t.match(alert, {
    number: 1,
    source: 'forum',
    raised_by: ids[0],
    raiser_name: 'Jane Smith',
    raiser_org: 'Northtown Trust',
    summary: 'Ransomware on PACS servers, spreading over SMB',
    exercise: false,
    forum_topic_id: 321,
    forum_topic_url: `${FORUM}/t/ransomware-on-pacs-servers-spreading-over-smb/321`,
    recipient_count: 7,
  });
  const out = await db.selectFrom('outbox').select(['channel', 'kind', 'member_id', 'recipient', 'body']).orderBy('id').execute();
  const alertTexts = out.filter((o) => o.channel === 'sms' && o.kind === 'alert');
  t.equal(alertTexts.length, 7, 'texts to every member but the raiser');
  t.notOk(alertTexts.some((o) => o.member_id === ids[0]));
  t.match(alertTexts[0]!.body, /^BATSIGNAL #1 from Jane Smith \(Northtown Trust\): Ransomware on PACS servers, spreading over SMB\. Reply ACK 1/);
  t.same(out.filter((o) => o.channel === 'email').map((o) => o.recipient), ['m1@nhs.test', 'm2@nhs.test', 'm3@nhs.test', 'm4@nhs.test', 'm5@nhs.test']);
  t.equal(out.filter((o) => o.channel === 'forum').length, 0, 'the topic is the alert’s topic: nothing posted');
  const toRaiser = out.filter((o) => o.member_id === ids[0]);
  t.equal(toRaiser.length, 1);
  t.match(toRaiser[0], { channel: 'sms', kind: 'reply', body: /^Alert #1 sent to 7 members/ });

  // Discourse delivers again (retry, redeliver button, a second webhook): nothing new.
  const again = await deliver(app, { body: topic(), eventId: '1002' });
  t.same(again.json(), { result: 'duplicate', alert: 1 });
  const both = await Promise.all([deliver(app, { body: topic() }), deliver(app, { body: topic() })]);
  t.same(both.map((r) => r.json().result), ['duplicate', 'duplicate']);
  t.same(await counts(db), { alerts: 1, outbox: out.length });
});

t.test('simultaneous first deliveries raise one alert', async (t) => {
  const { db, app } = await setup(t);
  const rs = await Promise.all([1, 2, 3].map((i) => deliver(app, { body: topic({ id: 900 }), eventId: String(i) })));
  t.same(rs.map((r) => r.statusCode), [200, 200, 200]);
  t.same(rs.map((r) => r.json().result).sort(), ['duplicate', 'duplicate', 'raised']);
  t.equal((await counts(db)).alerts, 1);
});

t.test('wrong category, our own topics, other events, ping: 200, nothing raised', async (t) => {
  const { db, app } = await setup(t);
  t.same((await deliver(app, { body: topic({ categoryId: 8 }) })).json(), { result: 'ignored', reason: 'category' });
  t.same((await deliver(app, { body: topic({ username: 'Batsignal' }) })).json(), { result: 'ignored', reason: 'own_topic' });
  t.same((await deliver(app, { body: topic(), event: 'post_created', eventType: 'post' })).json(), { result: 'ignored', reason: 'event' });
  const ping = await deliver(app, { body: '{"ping":"OK"}', event: 'ping', eventType: 'ping' });
  t.equal(ping.statusCode, 200);
  t.same(ping.json(), { result: 'pong' });
  t.same(await counts(db), { alerts: 0, outbox: 0 });
});

t.test('a forum user who is not a registered member is refused', async (t) => {
  const { db, app } = await setup(t);
  const res = await deliver(app, { body: topic({ username: 'stranger' }) });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { result: 'refused', reason: 'unknown_user' });
  t.same(await counts(db), { alerts: 0, outbox: 0 });
});

t.test('replay: only a topic created within the last hour raises, and a topic id is acted on once', async (t) => {
  const { db, app, ids } = await setup(t);
  const at = (minutesBeforeT0: number) => new Date(T0.getTime() - minutesBeforeT0 * 60_000).toISOString();
  for (const [createdAt, what] of [[at(61), 'created 61 minutes ago'], [at(60 * 24 * 30), 'a month old'], [at(-6), 'six minutes in the future']] as const) {
    const res = await deliver(app, { body: topic({ id: 500, createdAt }) });
    t.equal(res.statusCode, 401, what);
    t.equal(res.json().error, 'stale_request');
  }
  t.equal((await deliver(app, { body: topic({ id: 501, createdAt: null }) })).statusCode, 400, 'no created_at: not a topic_created payload');
  t.same(await counts(db), { alerts: 0, outbox: 0 });

  // A topic by a forum user who is not (yet) a member is refused; once they are, its replay still raises nothing.
  t.same((await deliver(app, { body: topic({ id: 502, username: 'newcomer', createdAt: at(5) }) })).json(), { result: 'refused', reason: 'unknown_user' });
  await db.updateTable('members').set({ forum_username: 'newcomer' }).where('id', '=', ids[1]!).execute();
  t.same((await deliver(app, { body: topic({ id: 502, username: 'newcomer', createdAt: at(5) }), eventId: '2002' })).json(), { result: 'duplicate' }, 'the topic was seen');
  t.same(await counts(db), { alerts: 0, outbox: 0 }, 'nothing raised');
  // A new topic 59 minutes old raises.
  t.equal((await deliver(app, { body: topic({ id: 503, username: 'newcomer', createdAt: at(59) }) })).json().result, 'raised');
});

t.test('forged, missing or stale signatures: 401, nothing stored', async (t) => {
  const { db, app } = await setup(t);
  const body = topic();
  const forged = await deliver(app, { body, signature: discourseSignature('not-the-secret', body) });
  t.equal(forged.statusCode, 401);
  t.equal(forged.json().error, 'invalid_signature');
  t.equal((await deliver(app, { body, signature: null })).statusCode, 401, 'missing');
  t.equal((await deliver(app, { body, signature: 'sha256=' })).statusCode, 401, 'empty');
  // Signed for one body, sent with another (the title changed in transit).
  const other = topic({ title: 'Something else entirely, please' });
  t.equal((await deliver(app, { body: other, signature: discourseSignature(SECRET, body) })).statusCode, 401, 'body swapped');
  // Signed over the exact bytes: the same JSON re-serialised with other spacing is not the same body.
  const spaced = JSON.stringify(JSON.parse(body), null, 1);
  t.equal((await deliver(app, { body: spaced, signature: discourseSignature(SECRET, body) })).statusCode, 401, 'whitespace matters');
  t.same(await counts(db), { alerts: 0, outbox: 0 });
});

t.test('bad payloads after a good signature: 400, nothing stored', async (t) => {
  const { db, app } = await setup(t);
  t.equal((await deliver(app, { body: 'not json' })).statusCode, 400);
  t.equal((await deliver(app, { body: '{"topic":{"id":"1"}}' })).statusCode, 400);
  t.equal((await deliver(app, { body: '{"post":{"id":1}}' })).statusCode, 400);
  t.same(await counts(db), { alerts: 0, outbox: 0 });
});

t.test('an EXERCISE title raises an exercise; usernames match regardless of case', async (t) => {
  const { db, app } = await setup(t);
  const res = await deliver(app, { body: topic({ title: 'EXERCISE: rehearsal of the cascade today', username: 'JSMITH' }) });
  t.equal(res.json().result, 'raised');
  const a = await db.selectFrom('alerts').select(['summary', 'exercise']).executeTakeFirstOrThrow();
  t.same(a, { summary: 'rehearsal of the cascade today', exercise: true });
  t.same(summaryFromTitle('[Exercise] Phishing test'), { summary: 'Phishing test', exercise: true });
  t.same(summaryFromTitle('Exercised caution: worm on N3'), { summary: 'Exercised caution: worm on N3', exercise: false });
});

t.test('the raise limit applies to forum raises too', async (t) => {
  const { db, app } = await setup(t, testConfig({ ...configEnv(), MAX_RAISES_PER_HOUR: '1' }));
  t.equal((await deliver(app, { body: topic({ id: 1 }) })).json().result, 'raised');
  t.same((await deliver(app, { body: topic({ id: 2, title: 'A second alert from the same member today' }) })).json(), { result: 'refused', reason: 'raise_limit' });
  t.equal((await counts(db)).alerts, 1);
});

t.test('not configured: 404, nothing stored', async (t) => {
  const { db, app } = await setup(t, testConfig());
  const res = await deliver(app, { body: topic() });
  t.equal(res.statusCode, 404);
  t.same(await counts(db), { alerts: 0, outbox: 0 });
});

function configEnv(): Record<string, string> {
  return {
    DISCOURSE_URL: FORUM,
    DISCOURSE_API_KEY: 'discourse-api-key',
    DISCOURSE_API_USERNAME: 'batsignal',
    DISCOURSE_CATEGORY_ID: '7',
    DISCOURSE_WEBHOOK_SECRET: SECRET,
  };
}
