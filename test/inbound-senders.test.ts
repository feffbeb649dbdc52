// Who a text is from, and what that may cost: one key per number however it is spelt, a loop cap
// that a spoofed sender cannot use to silence a member, strangers behind every broadcast and
// capped in all, and texts too long to read. Through the real inbound route and conversation.
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import type { Tx } from '../src/db/connect.js';
import { installErrorHandler } from '../src/http/errors.js';
import { registerVonageInbound } from '../src/webhooks/vonage-inbound.js';
import { converse as realConverse } from '../src/conversation/handle.js';
import type { Converse } from '../src/inbound/pipeline.js';
import { lockSender } from '../src/inbound/dedupe.js';
import { createMetrics } from '../src/metrics/registry.js';
import { LIMITS } from '../src/inbound/limits.js';
import { MAX_TEXT_PARTS } from '../src/inbound/concat.js';
import { claimDue } from '../src/outbox/claim.js';
import { PRIORITY_BROADCAST, PRIORITY_REPLY, PRIORITY_STRANGER } from '../src/outbox/write.js';
import { replies } from '../src/conversation/replies.js';
import { freshDatabase } from './helpers/db.js';
import { inboundParams, deliver, simulatedPhone } from './helpers/phone.js';
import { codeIn } from './helpers/conversation.js';
import { raiseAlert } from './helpers/alert-fixtures.js';

const SECRET = 'inbound-senders-secret';
const OUR = '447700900000';
const JANE = '+447700900001';
/** Jane's number as a carrier (or a spoofer) may write it: the national trunk 0 kept after 44. */
const JANE_WITH_ZERO = '4407700900001';

async function setup(t: Test, env: Record<string, string> = {}) {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ VONAGE_SIGNATURE_SECRET: SECRET, BATSIGNAL_NUMBER: OUR, ...env });
  const time = { now: new Date(), advance: (s: number) => (time.now = new Date(time.now.getTime() + s * 1000)) };
  const heard: string[] = [];
  const converse: Converse = async (trx: Tx, deps, member, text, now, opts) => {
    heard.push(text);
    await realConverse(trx, deps, member, text, now, opts);
  };
  const app = Fastify();
  installErrorHandler(app);
  await app.register(formbody);
  const clock = () => time.now;
  registerVonageInbound(app, { config, db, clock, adminTokens: ['test-admin-token-123456'], metrics: createMetrics({ db, clock }) }, converse);
  t.teardown(() => app.close());
  const [jane] = await db
    .insertInto('members')
    .values([
      { name: 'Jane Smith', phone: JANE, organisation: 'Northtown Trust' },
      { name: 'Bob Jones', phone: '+447700900002', organisation: 'Southby ICB' },
    ])
    .returningAll()
    .execute();
  const phone = simulatedPhone(app, db, JANE, { secret: SECRET, t });
  const send = (from: string, text: string) => deliver(app, inboundParams(from, text, { secret: SECRET, to: OUR }));
  return { db, app, config, time, heard, jane: jane!, phone, send };
}

async function alerts(db: Awaited<ReturnType<typeof setup>>['db']): Promise<number> {
  return (await db.selectFrom('alerts').select('number').execute()).length;
}

t.test('both spellings of a number wait on one lock', async (t) => {
  const { db, send } = await setup(t);
  // Hold the lock of the normalised number; a text under the other spelling must queue behind it.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = db.transaction().execute(async (trx) => {
    await lockSender(trx, '447700900001');
    locked();
    await held;
  });
  await isLocked;
  const request = send(JANE_WITH_ZERO, 'HELP');
  const waiting = (async () => {
    for (let i = 0; i < 400; i++) {
      const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`.execute(db);
      if (r.rows[0]!.n > 0) return 'waiting' as const;
      await new Promise((r) => setTimeout(r, 50));
    }
    return 'never waited' as const;
  })();
  const first = await Promise.race([waiting, request.then(() => 'answered while the lock was held' as const)]);
  t.equal(first, 'waiting', 'the text from 44 0 7700... waits for the lock of 44 7700...');
  release();
  await holder;
  t.equal((await request).statusCode, 200);
  const rows = await db.selectFrom('inbound_messages').select(['msisdn', 'outcome']).execute();
  t.same(rows, [{ msisdn: '447700900001', outcome: 'processed' }], 'stored under the normalised number');
});

t.test('two CONFIRMs under two spellings of one number make one alert', async (t) => {
  const { db, phone, send, time } = await setup(t, { MAX_RAISES_PER_HOUR: '10' });
  for (let round = 1; round <= 4; round++) {
    time.advance(120); // each round is four texts: stay under the loop cap
    await phone.skipAll();
    await phone.send(`RAISE Ransomware on PACS, round ${round}`);
    await phone.expect(/infected computer/);
    await phone.send('YES');
    const prompt = (await phone.received()).at(-1)!.body;
    const code = codeIn(prompt);
    const order = round % 2 ? [JANE_WITH_ZERO, JANE.slice(1)] : [JANE.slice(1), JANE_WITH_ZERO];
    const answers = await Promise.all(order.map((from) => send(from, `CONFIRM ${code}`)));
    t.same(answers.map((a) => a.statusCode), [200, 200]);
    t.equal(await alerts(db), round, `round ${round}: one alert`);
    const said = (await phone.received()).slice(-2).map((r) => r.body);
    t.equal(said.filter((b) => /^Alert #\d+ sent/.test(b)).length, 1, 'one "sent"');
    t.equal(said.filter((b) => b === replies.nothingToConfirm()).length, 1, 'the other finds nothing to confirm');
  }
});

t.test("a spoofed flood fills the loop cap but cannot stop a member's ACK, CONFIRM or ALLCLEAR", async (t) => {
  const { db, heard, phone, send, jane, time } = await setup(t);
  const alert = await raiseAlert(db, time.now, { summary: 'Phishing wave' });
  const repliesToJane = async () => (await phone.received()).filter((r) => r.kind === 'reply');
  // A spoofer (or an auto-responder) texts as Jane, under the other spelling of her number.
  for (let i = 0; i < LIMITS.perMinute + 5; i++) t.equal((await send(JANE_WITH_ZERO, `Out of office ${i}`)).statusCode, 200);
  let replied = (await repliesToJane()).length;
  t.equal(replied, LIMITS.perMinute, 'the loop is answered up to the cap only');
  t.equal(heard.length, LIMITS.perMinute);
  await phone.skipAll();

  await phone.send('hello?');
  await phone.expectNothing();

  await phone.send(`ACK ${alert}`);
  await phone.expect(new RegExp(`^Acknowledged #${alert}\\. Thank you\\.`));
  const d = await db.selectFrom('deliveries').select('acked_at').where('alert_number', '=', alert).where('member_id', '=', jane.id).executeTakeFirstOrThrow();
  t.ok(d.acked_at, 'the ACK over the cap is recorded');

  // A raise Jane started before the flood, waiting for her code.
  await db
    .insertInto('conversations')
    .values({
      member_id: jane.id,
      state: JSON.stringify({ name: 'awaitingConfirm', action: { kind: 'raise', summary: 'Worm on the N3 link', exercise: false }, code: '482113', wrongAttempts: 0, expiresAt: new Date(time.now.getTime() + 600_000).toISOString() }),
      updated_at: time.now,
    })
    .onConflict((oc) => oc.column('member_id').doUpdateSet({ state: sql`excluded.state` }))
    .execute();
  t.equal((await send(JANE_WITH_ZERO, 'CONFIRM 111111')).statusCode, 200);
  await phone.expectNothing();
  const state = await db.selectFrom('conversations').select('state').where('member_id', '=', jane.id).executeTakeFirstOrThrow();
  t.match(state.state, { name: 'awaitingConfirm', code: '482113', wrongAttempts: 1 }, 'a wrong code over the cap is not answered but counts against the three tries');
  await phone.send('CONFIRM 482113');
  await phone.expect(/^Alert #\d+ sent to 1 member\./);
  t.equal(await alerts(db), 2, 'the correct code raised the alert');

  const own = (await db.selectFrom('alerts').select('number').where('raised_by', '=', jane.id).executeTakeFirstOrThrow()).number;
  await phone.send(`ALLCLEAR ${own} contained`);
  const prompt = await phone.expect(/^All clear for #\d+ to 1 member: "contained"\. It closes the alert\. Reply CONFIRM \d+/);
  t.equal((await send(JANE_WITH_ZERO, `ALLCLEAR ${own} spoofed`)).statusCode, 200);
  await phone.expectNothing();
  await phone.send(`CONFIRM ${codeIn(prompt)}`);
  await phone.expect(/^All clear for #\d+ sent to 1 member; the alert is closed\.$/);

  await phone.send('STOP');
  await phone.expect(/no longer get Batsignal alert texts/);
  const m = await db.selectFrom('members').select('opted_out').where('id', '=', jane.id).executeTakeFirstOrThrow();
  t.equal(m.opted_out, true, 'STOP over the cap');
  await phone.send('HELP');
  await phone.send('more out of office');
  await phone.expectNothing();
  replied = (await repliesToJane()).length;
  t.equal(replied, LIMITS.perMinute + 5, 'over the cap only the ACK, the two CONFIRMs, the ALLCLEAR and STOP were answered');
});

t.test(`a text of more than ${MAX_TEXT_PARTS} parts is not read: one "too long" reply`, async (t) => {
  const { db, heard, phone } = await setup(t);
  const parts = Array.from({ length: 25 }, () => '!'.repeat(150));
  parts[0] = 'RAISE ' + parts[0];
  const order = Array.from({ length: 25 }, (_, i) => 25 - i);
  const answers = await phone.sendParts(parts, order, 'LONG1');
  t.ok(answers.every((a) => a.statusCode === 200), 'every part accepted (a 4xx would make Vonage retry for a day)');
  t.same(heard, [], 'the conversation never saw it');
  const said = (await phone.received()).map((r) => r.body);
  t.same(said, [replies.textTooLong(25, MAX_TEXT_PARTS)]);
  const rows = await db.selectFrom('inbound_messages').select(['outcome', 'text']).execute();
  t.equal(rows.length, 25, 'every part stored (exactly once)');
  t.equal(rows.filter((r) => r.outcome === 'processed').length, 1, 'the one that was answered counts against the loop cap');
  t.ok(rows.every((r) => r.text === ''), 'their text is not kept');
  const again = await phone.sendParts(parts, [1, 2], 'LONG1');
  t.ok(again.every((a) => a.statusCode === 200));
  t.equal((await phone.received()).length, 1, 'retries of the same parts: no second reply');

  const ten = Array.from({ length: MAX_TEXT_PARTS }, (_, i) => (i === 0 ? 'RAISE worm ' : 'x'.repeat(10)));
  await phone.sendParts(ten, Array.from({ length: MAX_TEXT_PARTS }, (_, i) => i + 1), 'TEN');
  t.equal(heard.length, 1, `${MAX_TEXT_PARTS} parts are read`);
  t.match(heard[0], /^RAISE worm x{10}/);
});

t.test('strangers are answered behind every broadcast, and only so many an hour', async (t) => {
  const { db, send, time, phone } = await setup(t, { STRANGER_REPLIES_PER_HOUR: '3' });
  await raiseAlert(db, time.now, { summary: 'Broadcast first' });
  await phone.send('HELP');
  const strangers = ['447700900771', '447700900772', '447700900773', '447700900774', '447700900775'];
  for (const s of strangers) t.equal((await send(s, 'hello')).statusCode, 200);
  const rows = await db.selectFrom('outbox').select(['recipient', 'kind', 'priority']).orderBy('id').execute();
  const toStrangers = rows.filter((r) => strangers.includes(r.recipient.slice(1)));
  t.equal(toStrangers.length, 3, 'three replies in the hour, whoever asks');
  t.ok(toStrangers.every((r) => r.priority === PRIORITY_STRANGER));
  t.ok(rows.filter((r) => r.kind === 'alert').every((r) => r.priority === PRIORITY_BROADCAST));
  t.equal(rows.find((r) => r.recipient === JANE && r.kind === 'reply')?.priority, PRIORITY_REPLY, "a member's own reply keeps its priority");
  t.ok(PRIORITY_STRANGER > PRIORITY_BROADCAST && PRIORITY_BROADCAST > PRIORITY_REPLY);

  // The dispatcher's claim takes them last: member reply, then the broadcast, then strangers.
  const claimed = await claimDue(db, 'sms', { limit: 100, leaseMs: 60_000 }, time.now);
  const kinds = claimed.map((r) => (strangers.includes(r.recipient.slice(1)) ? 'stranger' : r.kind));
  t.same(kinds, ['reply', 'alert', 'alert', 'stranger', 'stranger', 'stranger']);

  time.advance(3601);
  t.equal((await send(strangers[4]!, 'hello again')).statusCode, 200);
  t.equal((await send(strangers[0]!, 'hello again')).statusCode, 200);
  const later = await db.selectFrom('outbox').select('recipient').where('priority', '=', PRIORITY_STRANGER).execute();
  t.equal(later.length, 4, 'an hour later there is room again, but still one a day per number');
});
