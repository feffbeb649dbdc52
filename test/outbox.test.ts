// The outbox's claim, lease, completion and rate-slot rules, in SQL against real PostgreSQL.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { claimDue, reclaimExpired, releaseUnsent, renewClaims, startSending } from '../src/outbox/claim.js';
import { recordOutcomes } from '../src/outbox/complete.js';
import { backoffMs, retryDelayMs, DEFAULT_BACKOFF } from '../src/outbox/backoff.js';
import { ratePlan } from '../src/outbox/rate.js';
import { enqueueSms } from '../src/outbox/write.js';
import { notifyOutbox } from '../src/outbox/signal.js';
import { startOutbox } from '../src/outbox/run.js';
import type { Database } from '../src/db/connect.js';
import type { Sender } from '../src/outbox/channel.js';
import type { OutboxRow } from '../src/db/schema.js';
import { quietLog } from './helpers/delivery.js';

const LEASE = 30_000;
// Every outbox statement takes its time from the caller: the tests pick it, so nothing here races
// the clock. An hour ahead of the wall clock, so rows created by fixtures "now" are due.
const T0 = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
const at = (ms: number) => new Date(T0.getTime() + ms);

async function broadcast(db: Database, members: number): Promise<number> {
  await addMembers(db, memberSpecs(members));
  return raiseAlert(db, new Date());
}

t.test('two claimers racing over one outbox never take the same row', async (t) => {
  const { db } = await freshDatabase(t, 12);
  await broadcast(db, 1000);
  const takeAll = async () => {
    const mine: string[] = [];
    for (;;) {
      const rows = await claimDue(db, 'sms', { limit: 37, leaseMs: LEASE }, T0);
      if (rows.length === 0) return mine;
      mine.push(...rows.map((r) => r.id));
    }
  };
  const [a, b, c] = await Promise.all([takeAll(), takeAll(), takeAll()]);
  const all = [...a, ...b, ...c];
  t.equal(all.length, 1000, 'every row claimed');
  t.equal(new Set(all).size, 1000, 'no row claimed twice');
  t.ok(a.length > 0 && b.length > 0 && c.length > 0, `all three took work (${a.length}/${b.length}/${c.length})`);
  const states = await sql<{ state: string; attempts: number; leased: boolean; n: number }>`
    SELECT state, attempts, lease_until = ${at(LEASE)}::timestamptz AS leased, count(*)::int AS n FROM outbox GROUP BY 1, 2, 3`.execute(db);
  t.same(states.rows, [{ state: 'sending', attempts: 1, leased: true, n: 1000 }], 'sending, one attempt, under lease');
});

t.test('replies go ahead of a queued broadcast', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 50);
  await db.transaction().execute((trx) => enqueueSms(trx, [{ memberId: null, to: '+447700900900', body: 'reply', kind: 'reply' }], T0));
  const [first, ...rest] = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE }, T0);
  t.equal(first!.kind, 'reply', 'the reply, queued last, is claimed first');
  t.ok(rest.every((r) => r.kind === 'alert'));
  const ids = rest.map((r) => Number(r.id));
  t.same(ids, [...ids].sort((x, y) => x - y), 'the broadcast in id order');
});

t.test('rows are not due before next_attempt_at; other channels are not taken', async (t) => {
  const { db } = await freshDatabase(t);
  await db.transaction().execute((trx) => enqueueSms(trx, [{ memberId: null, to: '+447700900001', body: 'x', kind: 'reply' }], T0));
  await notifyOutbox(db); // what OutboxSignal.touch does after the commit, for other instances
  await db.updateTable('outbox').set({ next_attempt_at: at(60_000) }).execute();
  await db.insertInto('outbox').values({ channel: 'email', kind: 'alert', recipient: 'a@example.org', body: 's', payload: null, alert_number: null, member_id: null }).execute();
  t.same(await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }, at(59_999)), [], 'not yet due');
  t.equal((await claimDue(db, 'email', { limit: 10, leaseMs: LEASE }, T0)).length, 1, 'the email row is its own channel');
  t.equal((await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }, at(60_000))).length, 1, 'due at next_attempt_at');
});

t.test('an expired lease is taken back: a started row waits for a receipt, an unstarted one is due at once, a receipted one is sent', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 4);
  const rows = await claimDue(db, 'sms', { limit: 10, leaseMs: 1000 }, T0);
  t.equal(rows.length, 4);
  // Rows 0-2 were handed to the provider; row 3 was still waiting for its slot.
  t.same((await startSending(db, rows.slice(0, 3), 1000, at(500))).map((r) => r.id).sort(), rows.slice(0, 3).map((r) => r.id).sort(), 'started under the lease');
  await db.updateTable('outbox').set({ receipt_status: 'delivered', receipt_at: at(600) }).where('id', '=', rows[0]!.id).execute();
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1000)), 0, 'nothing expired while the claim lease holds (row 3)');
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1001)), 1, 'the unstarted row: its claim lease ran out');
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1500)), 0, 'starting renewed the lease of the started rows');
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1501)), 3);
  const after = await db.selectFrom('outbox').selectAll().orderBy('id').execute();
  t.equal(after[0]!.state, 'sent', 'a receipt proves it went: not resent');
  t.ok(after[0]!.sent_at);
  for (const r of after.slice(1, 3)) {
    t.equal(r.state, 'pending');
    t.equal(r.attempts, 1, 'the attempt is counted');
    t.equal(r.lease_until, null);
    t.match(r.last_error, /^lease expired \(sender stopped mid-send\)/);
    t.same(r.next_attempt_at, at(1501 + 60_000), 'waits for a receipt before going out again');
  }
  t.same(after[3]!.next_attempt_at, at(1001), 'never started: due again at once');
  t.match(after[3]!.last_error, /^lease expired before the send started/);
  const again = await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }, at(1501));
  t.same(again.map((r) => r.id), [after[3]!.id], 'only the unstarted row is claimable during the grace');
  t.equal(again[0]!.started_at, null, 'a claim clears started_at');
  t.equal(await reclaimExpired(db, 'sms', 0, at(1501)), 0, 'nothing else expired');
  t.equal((await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }, at(61_500))).length, 0, 'grace not over');
  t.equal((await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }, at(61_501))).length, 2, 'after the grace');
});

t.test('lease fencing: a holder whose rows were taken back cannot start them; a late "sent" before the next claim is kept', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 3);
  const [a, b, c] = await claimDue(db, 'sms', { limit: 10, leaseMs: 1000 }, T0);
  t.same((await startSending(db, [a!], 1000, at(100))).map((r) => r.id), [a!.id], 'a started');
  // The holder stalls past both leases; another instance takes everything back.
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1200)), 3);
  t.same([...(await startSending(db, [b!, c!], 1000, at(1300)))], [], 'b and c were taken back: not started, so never sent by the old holder');
  t.same([...(await startSending(db, [b!], 1000, at(999)))], [], 'not even with a clock that lags');
  // b is claimed again elsewhere (attempt 2); c is not.
  const [b2] = await claimDue(db, 'sms', { limit: 1, leaseMs: 1000 }, at(1300));
  t.equal(b2!.id, b!.id);
  t.equal(b2!.attempts, 2);
  t.same([...(await startSending(db, [b!], 1000, at(1400)))], [], "the old claim's token (attempt 1) does not start the new claim's row");
  // The old holder's provider call for a (started before the reclaim) answers late.
  await recordOutcomes(db, [{ id: a!.id, attempts: 1, kind: 'sent', providerId: 'LATE-A', note: null }], at(1500));
  const ra = await db.selectFrom('outbox').selectAll().where('id', '=', a!.id).executeTakeFirstOrThrow();
  t.same([ra.state, ra.provider_id, ra.lease_until], ['sent', 'LATE-A', null], 'a late "sent" for a row taken back but not claimed again is kept');
  t.same(ra.sent_at, at(1500));
  await recordOutcomes(db, [{ id: b!.id, attempts: 1, kind: 'sent', providerId: 'STALE-B', note: null }], at(1500));
  const rb = await db.selectFrom('outbox').selectAll().where('id', '=', b!.id).executeTakeFirstOrThrow();
  t.same([rb.state, rb.provider_id], ['sending', null], 'a stale "sent" for a row claimed again changes nothing');
});

t.test('one dispatcher holding an old and a new claim of one row: only the new claim starts, and only once', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 1);
  const [old] = await claimDue(db, 'sms', { limit: 1, leaseMs: 1000 }, T0);
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1001)), 1, 'its claim lapsed while it waited for a free request');
  const [fresh] = await claimDue(db, 'sms', { limit: 1, leaseMs: 1000 }, at(1001));
  t.same([fresh!.id, fresh!.attempts], [old!.id, 2], 'the same dispatcher claimed it again');
  // Both claims sit in its queue and reach one start statement together.
  const started = await startSending(db, [old!, fresh!], 1000, at(1100));
  t.equal(started.length, 1, 'one claim may be sent');
  t.equal(started[0], fresh, 'the newer claim, not the stale one');
  t.same(await startSending(db, [fresh!], 1000, at(1200)), [], 'a started claim is not started again');
});

t.test('renewing claims keeps queued rows held; a taken-back row is not renewed', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 3);
  const [a, b, c] = await claimDue(db, 'sms', { limit: 3, leaseMs: 1000 }, T0);
  t.same(await startSending(db, [c!], 30_000, at(100)), [c], 'c started');
  t.same(await renewClaims(db, [a!, b!, c!], 1000, at(900)), [a, b], 'queued rows renewed; a started row is not a queued claim');
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1500)), 0, 'renewed to 1900: nothing lapsed at 1500');
  t.same(await renewClaims(db, [a!], 1000, at(1800)), [a], 'a renewed again, b not');
  t.equal(await reclaimExpired(db, 'sms', 60_000, at(1901)), 1, 'b lapsed');
  t.same(await renewClaims(db, [a!, b!], 1000, at(1950)), [a], 'b was taken back: not renewed, its holder drops it');
  const rb = await db.selectFrom('outbox').select(['state', 'attempts']).where('id', '=', b!.id).executeTakeFirstOrThrow();
  t.same(rb, { state: 'pending', attempts: 1 });
});

t.test('outcomes are fenced: a stale owner changes nothing; a receipt-marked row stays sent', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 4);
  const [a, b, c, d] = await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }, T0);
  // b was reclaimed and claimed again elsewhere (attempts moved on); c and d got receipts meanwhile.
  await db.updateTable('outbox').set({ attempts: 2 }).where('id', '=', b!.id).execute();
  await db.updateTable('outbox').set({ state: 'sent', receipt_status: 'delivered' }).where('id', 'in', [c!.id, d!.id]).execute();
  await recordOutcomes(db, [
    { id: a!.id, attempts: 1, kind: 'retry', delayMs: 4000, error: 'vonage 1 throttled' },
    { id: b!.id, attempts: 1, kind: 'failed', error: 'stale' },
    { id: c!.id, attempts: 1, kind: 'sent', providerId: 'MSG-C', note: null },
    { id: d!.id, attempts: 1, kind: 'retry', delayMs: 4000, error: 'timed out' },
  ], at(100));
  const row = (id: string) => db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const ra = await row(a!.id);
  t.equal(ra.state, 'pending');
  t.equal(ra.last_error, 'vonage 1 throttled');
  t.same(ra.next_attempt_at, at(4100), 'backoff stored in the row: due 4 s after the outcome');
  t.equal((await row(b!.id)).state, 'sending', "the stale owner's failure is ignored");
  const rc = await row(c!.id);
  t.same([rc.state, rc.provider_id, rc.receipt_status], ['sent', 'MSG-C', 'delivered'], 'provider id added, receipt kept');
  t.equal((await row(d!.id)).state, 'sent', 'a timeout after a receipt does not resend');
});

t.test('graceful release gives unsent rows back, as if never claimed', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 2);
  const rows = await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }, T0);
  await releaseUnsent(db, rows);
  const after = await db.selectFrom('outbox').select(['state', 'attempts', 'lease_until']).execute();
  t.same(after, [{ state: 'pending', attempts: 0, lease_until: null }, { state: 'pending', attempts: 0, lease_until: null }]);
});

t.test('rate slots: each claim reserves evenly spaced slots in the shared schedule', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 20);
  const first = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 1000 }, T0);
  t.same(first.map((r) => r.sendInMs), [0, 100, 200, 300, 400], 'from now, 100 ms apart');
  const second = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 1000 }, at(20));
  t.same(second.map((r) => r.sendInMs), [480, 580, 680, 780, 880], 'a second claimer, 20 ms later, continues the schedule');
  const nextSlot = async () => (await db.selectFrom('rate_limits').select('next_slot').where('channel', '=', 'sms').executeTakeFirstOrThrow()).next_slot;
  t.same(await nextSlot(), at(1000), 'schedule ends 10 slots ahead');
  t.same(await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 500 }, at(500)), [], 'schedule full beyond the horizon: nothing claimed');
  t.same(await nextSlot(), at(1000), 'and nothing reserved');
  const third = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 500 }, at(501));
  t.same(third.map((r) => r.sendInMs), [499, 599, 699, 799, 899], 'within the horizon again: claimed, after the last slot');
  const late = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 500 }, at(5000));
  t.same(late.map((r) => r.sendInMs), [0, 100, 200, 300, 400], 'a schedule run dry starts again from now');
  t.same(await nextSlot(), at(5500));
  t.same(ratePlan(30, 200), { intervalMs: 1000 / 30, batch: 15, horizonMs: 500 });
  t.same(ratePlan(0, 200).intervalMs, undefined, '0 = no limit');
});

t.test('backoff: exponential, capped, jittered; Retry-After is a floor', async (t) => {
  const p = { baseMs: 1000, capMs: 60_000, jitter: 0.5, maxAttempts: 8 };
  t.same([1, 2, 3, 4, 7, 8].map((n) => backoffMs(n, p, () => 0)), [1000, 2000, 4000, 8000, 60_000, 60_000]);
  t.equal(backoffMs(3, p, () => 1), 6000, 'up to half again as jitter');
  t.equal(retryDelayMs(1, 30_000, p, () => 0), 30_000, 'the provider asked for longer');
  t.equal(retryDelayMs(4, 500, p, () => 0), 8000);
  t.ok(DEFAULT_BACKOFF.maxAttempts >= 5);
});

t.test('stop() finishes what is in flight and gives back what was never sent', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 10);
  const sent: string[] = [];
  const sender: Sender = { channel: 'sms', send: async (row: OutboxRow) => (sent.push(row.id), { ok: true, providerId: `P${row.id}` }) };
  const outbox = startOutbox(db, quietLog, [{ sender, ratePerSecond: 4 }]);
  while (sent.length < 2) await new Promise((r) => setTimeout(r, 10));
  await outbox.stop();
  const rows = await db.selectFrom('outbox').select(['state', 'attempts']).execute();
  const sentRows = rows.filter((r) => r.state === 'sent');
  t.equal(sentRows.length, sent.length, 'every send recorded');
  t.ok(rows.filter((r) => r.state === 'pending').every((r) => r.attempts === 0), 'the rest pending, no attempt counted');
  t.equal(rows.filter((r) => r.state === 'sending').length, 0, 'nothing left leased');
});

t.test('a notification wakes the dispatcher at once (no waiting for the poll)', async (t) => {
  const { db } = await freshDatabase(t);
  const seen: number[] = [];
  const sender: Sender = { channel: 'sms', send: async () => (seen.push(Date.now()), { ok: true, providerId: 'x' }) };
  const outbox = startOutbox(db, quietLog, [{ sender, ratePerSecond: 0, pollMs: 60_000 }]);
  t.teardown(() => outbox.stop());
  await new Promise((r) => setTimeout(r, 300)); // LISTEN connected, first poll done
  await db.transaction().execute((trx) => enqueueSms(trx, [{ memberId: null, to: '+447700900001', body: 'x', kind: 'reply' }], new Date()));
  await notifyOutbox(db); // what OutboxSignal.touch sends after the commit, for other instances
  const until = Date.now() + 10_000;
  while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  t.equal(seen.length, 1, 'sent without a poll (the poll is a minute away)');
});
