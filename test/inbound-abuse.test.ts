// Abuse limits at the inbound edge: strangers, our own number, machines, reply loops, failures.
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { loadConfig } from '../src/config.js';
import type { Tx } from '../src/db/connect.js';
import type { Member } from '../src/db/schema.js';
import { installErrorHandler } from '../src/http/errors.js';
import { registerVonageInbound } from '../src/webhooks/vonage-inbound.js';
import { createMetrics } from '../src/metrics/registry.js';
import type { Converse } from '../src/inbound/pipeline.js';
import { LIMITS } from '../src/inbound/limits.js';
import { enqueueSms } from '../src/outbox/write.js';
import { freshDatabase } from './helpers/db.js';
import { inboundParams, simulatedPhone } from './helpers/phone.js';

/** The tests' clock starts now, to the minute; each test moves it on explicitly. */
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const SECRET = 'inbound-test-secret';
const MEMBER = '+447700900001';
const OUR = '447700900000';

async function setup(t: Test) {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ VONAGE_SIGNATURE_SECRET: SECRET, BATSIGNAL_NUMBER: OUR });
  // Starts at the real time (to the minute): the webhooks' signed timestamps must be within the replay window.
  const time = { now: new Date(T0), advance: (s: number) => (time.now = new Date(time.now.getTime() + s * 1000)) };
  const heard: string[] = [];
  let failNext = false;
  // Stands in for the conversation: answers every text, and can be made to fail once.
  const converse: Converse = async (trx: Tx, _deps, member: Member, text: string, now: Date) => {
    await enqueueSms(trx, [{ memberId: member.id, to: member.phone, kind: 'reply', body: `You said ${text}` }], now);
    if (failNext) {
      failNext = false;
      throw new Error('conversation store unavailable');
    }
    heard.push(text);
  };
  const app = Fastify();
  installErrorHandler(app);
  await app.register(formbody);
  const clock = () => time.now;
  registerVonageInbound(app, { config, db, clock, adminTokens: ['test-admin-token-123456'], metrics: createMetrics({ db, clock }) }, converse);
  t.teardown(() => app.close());
  await db.insertInto('members').values({ name: 'Ada', phone: MEMBER }).execute();
  return { db, app, time, heard, failOnce: () => (failNext = true) };
}

t.test('an unknown number gets exactly one reply in 24 hours, and cannot start anything', async (t) => {
  const { db, app, time, heard } = await setup(t);
  const stranger = simulatedPhone(app, db, '+447700900777', { secret: SECRET, t });
  await stranger.send('RAISE ransomware everywhere');
  await stranger.expect(/registered NHS Batsignal members only/);
  for (const text of ['YES', 'CONFIRM 1234', 'HELP']) {
    time.advance(3600);
    await stranger.send(text);
  }
  await stranger.expectNothing();
  const concurrent = await Promise.all([1, 2, 3].map(() => stranger.send('hello?')));
  t.same(concurrent.map((r) => r.json()), [1, 2, 3].map(() => ({ status: 'accepted' })), 'each concurrent text is accepted');
  const hello = await db.selectFrom('inbound_messages').select(['message_id', 'outcome']).where('text', '=', 'hello?').execute();
  t.equal(new Set(hello.map((r) => r.message_id)).size, 3, 'all three concurrent texts are stored');
  t.same([...new Set(hello.map((r) => r.outcome))], ['stranger']);
  const stamp = await db.selectFrom('stranger_replies').select('last_reply_at').where('phone', '=', stranger.number).executeTakeFirstOrThrow();
  t.same(stamp.last_reply_at, T0, 'the 24-hour window still runs from the first reply');
  await stranger.expectNothing();
  time.advance(21 * 3600); // 24 h after the first reply
  await stranger.send('RAISE');
  await stranger.expect(/members only/);
  await stranger.expectNothing();
  t.same(heard, [], 'the conversation never saw a stranger');
  const outcomes = await db.selectFrom('inbound_messages').select('outcome').distinct().execute();
  t.same(outcomes, [{ outcome: 'stranger' }]);
});

t.test('our own number, short codes and alphanumeric senders are never answered', async (t) => {
  const { db, app, heard } = await setup(t);
  for (const from of [OUR, '80008', 'VONAGE', 'NHSAlerts']) {
    const res = await simulatedPhone(app, db, from, { secret: SECRET }).post(inboundParams(from, 'HELP', { secret: SECRET }));
    t.equal(res.statusCode, 200, from);
  }
  const rows = await db.selectFrom('inbound_messages').select(['msisdn', 'outcome']).execute();
  t.equal(rows.length, 4, 'all recorded');
  t.ok(rows.every((r) => r.outcome === 'ignored'));
  t.same(await db.selectFrom('outbox').selectAll().execute(), [], 'no reply to anyone');
  t.same(heard, []);
});

t.test(`a member's auto-responder loop is capped at ${LIMITS.perMinute} a minute and ${LIMITS.perHour} an hour`, async (t) => {
  const { db, app, time, heard } = await setup(t);
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  for (let i = 0; i < LIMITS.perMinute + 5; i++) await phone.send(`I'm driving ${i}`);
  t.equal(heard.length, LIMITS.perMinute, 'interpreted up to the cap');
  await phone.send('STOP');
  t.equal(heard.at(-1), 'STOP', 'STOP always gets through');
  const replies = (await phone.received()).length;
  t.equal(replies, LIMITS.perMinute + 1);
  // A slow loop: one text every 20 s for an hour.
  for (let i = 0; i < 180; i++) {
    time.advance(20);
    await phone.send(`auto ${i}`);
  }
  const inHour = heard.length - (LIMITS.perMinute + 1);
  t.ok(inHour <= LIMITS.perHour, `at most ${LIMITS.perHour} an hour (got ${inHour})`);
  const ignored = await db.selectFrom('inbound_messages').select('message_id').where('outcome', '=', 'ignored').execute();
  t.equal(ignored.length + heard.length, LIMITS.perMinute + 5 + 1 + 180, 'every text stored, interpreted or not');
  time.advance(3600);
  await phone.send('ACK');
  t.equal(heard.at(-1), 'ACK', 'a quiet hour later the member is heard again');
});

t.test('a failure while processing rolls back: 500, nothing marked seen, the retry is processed once', async (t) => {
  const { db, app, heard, failOnce } = await setup(t);
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  const params = inboundParams(MEMBER, 'ACK 3', { secret: SECRET });
  failOnce();
  const first = await phone.post(params);
  t.equal(first.statusCode, 500);
  t.same(first.json(), { error: 'internal', message: 'Something went wrong; it has been logged.' }, 'no internals');
  t.same(await db.selectFrom('inbound_messages').selectAll().execute(), [], 'not marked seen');
  await phone.expectNothing();
  const retry = await phone.post(params);
  t.equal(retry.statusCode, 200);
  t.same(heard, ['ACK 3']);
  await phone.expect(/You said ACK 3/);
  await phone.expectNothing();
});
