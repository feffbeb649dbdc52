// The outbox's claim, lease, completion and rate-slot rules, in SQL against real PostgreSQL.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { claimDue, reclaimExpired, releaseUnsent } from '../src/outbox/claim.js';
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
      const rows = await claimDue(db, 'sms', { limit: 37, leaseMs: LEASE });
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
    SELECT state, attempts, lease_until > now() AS leased, count(*)::int AS n FROM outbox GROUP BY 1, 2, 3`.execute(db);
  t.same(states.rows, [{ state: 'sending', attempts: 1, leased: true, n: 1000 }], 'sending, one attempt, under lease');
});

t.test('replies go ahead of a queued broadcast', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 50);
  await db.transaction().execute((trx) => enqueueSms(trx, [{ memberId: null, to: '+447700900900', body: 'reply', kind: 'reply' }]));
  const [first, ...rest] = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE });
  t.equal(first!.kind, 'reply', 'the reply, queued last, is claimed first');
  t.ok(rest.every((r) => r.kind === 'alert'));
  const ids = rest.map((r) => Number(r.id));
  t.same(ids, [...ids].sort((x, y) => x - y), 'the broadcast in id order');
});

t.test('rows are not due before next_attempt_at; other channels are not taken', async (t) => {
  const { db } = await freshDatabase(t);
  await db.transaction().execute((trx) => enqueueSms(trx, [{ memberId: null, to: '+447700900001', body: 'x', kind: 'reply' }]));
  await notifyOutbox(db); // what OutboxSignal.touch does after the commit, for other instances
  await db.updateTable('outbox').set({ next_attempt_at: sql`now() + interval '1 minute'` }).execute();
  await db.insertInto('outbox').values({ channel: 'email', kind: 'alert', recipient: 'a@example.org', body: 's', payload: null, alert_number: null, member_id: null }).execute();
  t.same(await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }), [], 'not yet due');
  t.equal((await claimDue(db, 'email', { limit: 10, leaseMs: LEASE })).length, 1, 'the email row is its own channel');
});

t.test('an expired lease is taken back: pending after the receipt grace, or sent if a receipt came', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 3);
  const rows = await claimDue(db, 'sms', { limit: 10, leaseMs: 1 });
  t.equal(rows.length, 3);
  await db.updateTable('outbox').set({ receipt_status: 'delivered', receipt_at: new Date() }).where('id', '=', rows[0]!.id).execute();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(await reclaimExpired(db, 'sms', 60_000), 3);
  const after = await db.selectFrom('outbox').selectAll().orderBy('id').execute();
  t.equal(after[0]!.state, 'sent', 'a receipt proves it went: not resent');
  t.ok(after[0]!.sent_at);
  for (const r of after.slice(1)) {
    t.equal(r.state, 'pending');
    t.equal(r.attempts, 1, 'the attempt is counted');
    t.equal(r.lease_until, null);
    t.match(r.last_error, /lease expired/);
    t.ok(+r.next_attempt_at > Date.now() + 50_000, 'waits for a receipt before going out again');
  }
  t.same(await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE }), [], 'not claimable during the grace');
  t.equal(await reclaimExpired(db, 'sms', 0), 0, 'nothing else expired');
});

t.test('outcomes are fenced: a stale owner changes nothing; a receipt-marked row stays sent', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 4);
  const [a, b, c, d] = await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE });
  // b was reclaimed and claimed again elsewhere (attempts moved on); c and d got receipts meanwhile.
  await db.updateTable('outbox').set({ attempts: 2 }).where('id', '=', b!.id).execute();
  await db.updateTable('outbox').set({ state: 'sent', receipt_status: 'delivered' }).where('id', 'in', [c!.id, d!.id]).execute();
  await recordOutcomes(db, [
    { id: a!.id, attempts: 1, kind: 'retry', delayMs: 4000, error: 'vonage 1 throttled' },
    { id: b!.id, attempts: 1, kind: 'failed', error: 'stale' },
    { id: c!.id, attempts: 1, kind: 'sent', providerId: 'MSG-C', note: null },
    { id: d!.id, attempts: 1, kind: 'retry', delayMs: 4000, error: 'timed out' },
  ]);
  const row = (id: string) => db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const ra = await row(a!.id);
  t.equal(ra.state, 'pending');
  t.equal(ra.last_error, 'vonage 1 throttled');
  const wait = +ra.next_attempt_at - Date.now();
  t.ok(wait > 3000 && wait <= 4100, `backoff stored in the row (${wait} ms)`);
  t.equal((await row(b!.id)).state, 'sending', "the stale owner's failure is ignored");
  const rc = await row(c!.id);
  t.same([rc.state, rc.provider_id, rc.receipt_status], ['sent', 'MSG-C', 'delivered'], 'provider id added, receipt kept');
  t.equal((await row(d!.id)).state, 'sent', 'a timeout after a receipt does not resend');
});

t.test('graceful release gives unsent rows back, as if never claimed', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 2);
  const rows = await claimDue(db, 'sms', { limit: 10, leaseMs: LEASE });
  await releaseUnsent(db, rows);
  const after = await db.selectFrom('outbox').select(['state', 'attempts', 'lease_until']).execute();
  t.same(after, [{ state: 'pending', attempts: 0, lease_until: null }, { state: 'pending', attempts: 0, lease_until: null }]);
});

t.test('rate slots: each claim reserves evenly spaced slots in the shared schedule', async (t) => {
  const { db } = await freshDatabase(t);
  await broadcast(db, 20);
  const first = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 1000 });
  t.same(first.map((r) => Math.round(r.sendInMs / 10) * 10), [0, 100, 200, 300, 400], 'from now, 100 ms apart');
  const second = await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 1000 });
  const s = second.map((r) => r.sendInMs);
  t.ok(Math.abs(s[0]! - 500) < 30 && Math.abs(s[4]! - 900) < 30, `a second claimer continues the schedule (${s.map(Math.round)})`);
  t.same(await claimDue(db, 'sms', { limit: 5, leaseMs: LEASE, intervalMs: 100, horizonMs: 500 }), [], 'schedule full beyond the horizon: nothing claimed');
  const { next } = await db.selectFrom('rate_limits').select(sql<number>`extract(epoch FROM next_slot - now()) * 1000`.as('next')).where('channel', '=', 'sms').executeTakeFirstOrThrow();
  t.ok(Math.abs(Number(next) - 1000) < 50, 'schedule ends 10 slots ahead');
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
  await db.transaction().execute((trx) => enqueueSms(trx, [{ memberId: null, to: '+447700900001', body: 'x', kind: 'reply' }]));
  await notifyOutbox(db); // what OutboxSignal.touch sends after the commit, for other instances
  const until = Date.now() + 10_000;
  while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  t.equal(seen.length, 1, 'sent without a poll (the poll is a minute away)');
});
