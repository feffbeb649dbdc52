// Multipart texts: reassembly in any order, duplicate parts, timeout (sweeper and opportunistic).
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { loadConfig } from '../src/config.js';
import type { Tx } from '../src/db/connect.js';
import type { Member } from '../src/db/schema.js';
import { installErrorHandler } from '../src/http/errors.js';
import { registerVonageInbound } from '../src/webhooks/vonage-inbound.js';
import { createMetrics } from '../src/metrics/registry.js';
import { startConcatSweeper, sweepConcat } from '../src/inbound/sweeper.js';
import type { Converse } from '../src/inbound/pipeline.js';
import { freshDatabase } from './helpers/db.js';
import { inboundParams, simulatedPhone } from './helpers/phone.js';

/** The tests' clock starts now, to the minute; each test moves it on explicitly. */
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const SECRET = 'inbound-test-secret';
const MEMBER = '+447700900001';

/** The inbound route alone, with a conversation that records what it was given. */
async function setup(t: Test) {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ VONAGE_SIGNATURE_SECRET: SECRET, BATSIGNAL_NUMBER: '447700900000', CONCAT_TIMEOUT_SECONDS: '30' });
  // Starts at the real time (to the minute): the webhooks' signed timestamps must be within the replay window.
  const time = { now: new Date(T0), advance: (s: number) => (time.now = new Date(time.now.getTime() + s * 1000)) };
  const heard: { member: string; text: string; at: Date }[] = [];
  const converse: Converse = async (_trx: Tx, _deps, member: Member, text: string, now: Date) => {
    heard.push({ member: member.phone, text, at: now });
  };
  const app = Fastify();
  installErrorHandler(app);
  await app.register(formbody);
  const clock = () => time.now;
  registerVonageInbound(app, { config, db, clock, adminTokens: ['test-admin-token-123456'], metrics: createMetrics({ db, clock }) }, converse);
  t.teardown(() => app.close());
  await db.insertInto('members').values({ name: 'Ada', phone: MEMBER }).execute();
  const phone = simulatedPhone(app, db, MEMBER, { secret: SECRET, t });
  return { db, app, config, time, heard, converse, phone };
}

const parts = ['RAISE Ransomware on the imaging ', 'network at Northtown, spreading via ', 'SMB; block port 445 at the border'];

t.test('a text in three parts delivered out of order is read once, whole', async (t) => {
  const { db, heard, phone } = await setup(t);
  const responses = await phone.sendParts(parts, [3, 1, 2], 'AB12');
  t.same(responses.map((r) => r.statusCode), [200, 200, 200]);
  t.same(heard.map((h) => h.text), [parts.join('')]);
  const rows = await db.selectFrom('inbound_messages').select(['concat_part', 'outcome']).orderBy('concat_part').execute();
  t.same(rows, [1, 2, 3].map((n) => ({ concat_part: n, outcome: 'assembled' })));
});

t.test('duplicate parts are dropped; the same ref later starts a new message', async (t) => {
  const { heard, phone } = await setup(t);
  const p1 = inboundParams(MEMBER, 'first half, ', { secret: SECRET, extra: { concat: 'true', 'concat-ref': '7', 'concat-total': '2', 'concat-part': '1' } });
  t.equal((await phone.post(p1)).statusCode, 200);
  t.equal((await phone.post(p1, 'json')).statusCode, 200, 'Vonage retried part 1');
  t.same(heard, [], 'still waiting for part 2');
  await phone.sendParts(['ignored', 'second half'], [2], '7');
  t.same(heard.map((h) => h.text), ['first half, second half']);
  t.equal((await phone.post(p1)).statusCode, 200, 'part 1 retried after assembly');
  t.equal(heard.length, 1, 'not read again');
  await phone.sendParts(['new ', 'message'], [2, 1], '7');
  t.same(heard.map((h) => h.text), ['first half, second half', 'new message'], 'ref 7 reused by the phone');
});

t.test('concurrent copies of every part: one message', async (t) => {
  const { heard, phone } = await setup(t);
  const signed = [1, 2, 3].map((n) =>
    inboundParams(MEMBER, parts[n - 1]!, { secret: SECRET, extra: { concat: 'true', 'concat-ref': 'C3', 'concat-total': '3', 'concat-part': String(n) } }),
  );
  const all = await Promise.all([...signed, ...signed, ...signed].map((p, i) => phone.post(p, i % 3 === 0 ? 'get' : 'form')));
  t.same(all.map((r) => r.statusCode), Array(9).fill(200));
  t.same(heard.map((h) => h.text), [parts.join('')]);
});

t.test('an incomplete message is read with what arrived once the timeout passes (sweeper)', async (t) => {
  const { db, config, time, heard, converse, phone } = await setup(t);
  await phone.sendParts(parts, [1, 3], 'D4');
  t.same(heard, []);
  const deps = { config, db, converse };
  t.equal(await sweepConcat(deps, new Date(time.now.getTime() + 29_000)), 0, 'not before the timeout');
  t.equal(await sweepConcat(deps, new Date(time.now.getTime() + 30_000)), 1, 'at the timeout');
  t.same(heard.map((h) => h.text), [parts[0] + '... ' + parts[2]], 'the gap is marked');
  t.equal(await sweepConcat(deps, new Date(time.now.getTime() + 90_000)), 0, 'read once');
  time.advance(5);
  await phone.sendParts(parts, [2], 'D4');
  t.same(heard.map((h) => h.text), [parts[0] + '... ' + parts[2]], 'the late part starts a new group, still waiting');
  const outcomes = await db.selectFrom('inbound_messages').select(['concat_part', 'outcome']).orderBy('received_at').orderBy('concat_part').execute();
  t.same(outcomes.map((o) => o.outcome), ['assembled', 'assembled', 'part']);
});

t.test('the background sweeper (as src/workers.ts starts it) reads a timed-out message', async (t) => {
  const { db, app, config, time, heard, converse, phone } = await setup(t);
  await phone.sendParts(parts, [2, 3], 'F6');
  const sweeper = startConcatSweeper({ config, db, converse }, () => time.now, app.log, 20);
  t.teardown(() => sweeper.stop());
  time.advance(30);
  // Waits for the outcome (not a timing assertion): the sweeper runs every 20 ms.
  for (let i = 0; i < 250 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  await sweeper.stop();
  t.same(heard.map((h) => h.text), ['... ' + parts[1] + parts[2]]);
});

t.test('an incomplete message is read before the same sender\'s next text (opportunistic)', async (t) => {
  const { time, heard, phone } = await setup(t);
  await phone.sendParts(parts, [2], 'E5');
  time.advance(31);
  await phone.send('CANCEL');
  t.same(heard.map((h) => h.text), ['... ' + parts[1] + '...', 'CANCEL'], 'in the order they were sent');
  time.advance(1);
  await phone.send('HELP');
  t.equal(heard.length, 3);
});

t.test('a stranger\'s multipart text: one reply, never a conversation', async (t) => {
  const { db, heard, app } = await setup(t);
  const stranger = simulatedPhone(app, db, '+447700900555', { secret: SECRET, t });
  await stranger.sendParts(['RAISE big ', 'trouble'], [2, 1]);
  t.same(heard, []);
  await stranger.expect(/registered NHS Batsignal members only/);
});
