// kill -9 mid-broadcast, for real: the server (src/main.ts, the entry point `npm start` runs compiled) sends a
// 3,000-member alert at 200/s to the Vonage stand-in, is SIGKILLed part-way, and a fresh server
// finishes the job. Every member must
// have the alert; duplicates are counted (the design aims at zero: rows in flight at the kill wait
// for their receipts before being resent). Then two instances share one database: no duplicates,
// both do work. Timing is not asserted here (bench/delivery.bench.ts measures rates).
import t, { type Test } from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { startVonageStandin, type VonageStandin } from './helpers/vonage-standin.js';
import { spawnInstance } from './helpers/dispatcher-process.js';
import { spawnServer } from './helpers/server-process.js';
import { outboxStates, settled } from './helpers/delivery.js';
import type { Database } from '../src/db/connect.js';

const MEMBERS = 5000;
// Real processes (servers started through tsx) on a shared 2-core machine: minutes, not seconds.
t.setTimeout(600_000);
const SECRET = 'crash-test-signature-secret';

function instanceEnv(url: string, vonage: VonageStandin, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: url, VONAGE_API_KEY: vonage.apiKey, VONAGE_API_SECRET: vonage.apiSecret, VONAGE_REST_HOST: vonage.url,
    VONAGE_SIGNATURE_SECRET: SECRET, BATSIGNAL_NUMBER: '447700900999', SMS_RATE_PER_SECOND: '0',
    // Lease and grace well above what a loaded 2-core machine needs per send (2 s leases expired under
    // load: live instances took back each other's rows and sent them twice; see docs/delivery.md).
    LEASE_MS: '8000', RECEIPT_GRACE_MS: '8000', RECLAIM_MS: '250', SEND_TIMEOUT_MS: '3000', ...extra,
  };
}

async function everyoneOnce(t: Test, db: Database, vonage: VonageStandin, n: number) {
  const phones = (await db.selectFrom('outbox').select('recipient').where('kind', '=', 'alert').execute()).map((r) => r.recipient.slice(1));
  t.equal(phones.length, n, `${n} recipients`);
  const counts = new Map<string, number>();
  for (const r of vonage.accepted()) counts.set(r.to, (counts.get(r.to) ?? 0) + 1);
  t.ok(phones.every((p) => (counts.get(p) ?? 0) >= 1), 'every member received the alert');
  return [...counts.values()].filter((c) => c > 1).reduce((a, c) => a + c - 1, 0);
}

t.test('kill -9 of the real server mid-broadcast, restart: everyone has it once; rows claimed but never started go at once', async (t) => {
  const { db, url } = await freshDatabase(t);
  const members = 3000;
  await addMembers(db, memberSpecs(members));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const vonage = await startVonageStandin({
    faults: { latencyMs: 30 },
    // Receipts go to the service's port; while it is dead they fail and are posted again, as Vonage does.
    receipts: { url: `http://127.0.0.1:${port}/webhooks/vonage/status`, secret: SECRET, delayMs: 100, retryMs: 100 },
  });
  t.teardown(() => vonage.close());
  // src/main.ts, the service entry point, with its default lease (30 s) and receipt grace (30 s).
  const env = {
    DATABASE_URL: url, ADMIN_TOKEN: 'crash-test-admin-token-0123456789', PORT: String(port),
    VONAGE_API_KEY: vonage.apiKey, VONAGE_API_SECRET: vonage.apiSecret, VONAGE_REST_HOST: vonage.url, VONAGE_SIGNATURE_SECRET: SECRET,
    BATSIGNAL_NUMBER: '447700900999', SMS_RATE_PER_SECOND: '200', DATA_DIR: t.testdirName,
  };
  const first = spawnServer(env);
  t.teardown(() => first.kill('SIGKILL'));
  await first.ready;
  await raiseAlert(db, new Date());
  await vonage.waitFor(() => vonage.accepted().length >= members * 0.3, 180_000);
  first.kill('SIGKILL');
  t.equal(await first.exited, null, 'killed by the signal');
  const atKill = vonage.accepted().length;
  const claimed = await sql<{ started: number; unstarted: number }>`
    SELECT count(*) FILTER (WHERE started_at IS NOT NULL)::int AS started, count(*) FILTER (WHERE started_at IS NULL)::int AS unstarted
    FROM outbox WHERE state = 'sending'`.execute(db);
  t.comment(`killed after ${atKill} texts accepted; claimed at the kill: ${JSON.stringify(claimed.rows[0])}`);
  t.ok(atKill < members, 'killed mid-way');

  const second = spawnServer(env);
  t.teardown(() => second.kill('SIGKILL'));
  await second.ready;
  await settled(db, 90_000);
  t.same(await outboxStates(db), { sent: members }, 'every row sent');
  // No row waited for the dead server's 30 s lease and a receipt grace: rows it had claimed ahead
  // but never started came back under their short claim lease, due at once; the ones it was
  // sending were closed by their receipts. (bench/delivery.bench.ts measures how soon.)
  const back = await sql<{ unstarted: number; graced: number }>`
    SELECT count(*) FILTER (WHERE last_error LIKE 'lease expired before the send started%')::int AS unstarted,
           count(*) FILTER (WHERE last_error LIKE 'lease expired (sender stopped mid-send)%')::int AS graced
    FROM outbox`.execute(db);
  t.comment(`taken back: ${JSON.stringify(back.rows[0])}`);
  // At least those: the restarted server's own claims may run out before they start on a busy machine, and count here too.
  t.ok(back.rows[0]!.unstarted >= claimed.rows[0]!.unstarted, `every row claimed but never started was taken back as never started (due at once): ${back.rows[0]!.unstarted} >= ${claimed.rows[0]!.unstarted}`);
  // Only rows in flight at the kill may wait out a receipt grace: a row marked started whose request
  // had not reached the provider yet has no receipt to come (14 of them when this machine was
  // saturated); every other started row is closed by its receipt (no duplicate, checked below).
  t.ok(back.rows[0]!.graced <= claimed.rows[0]!.started, `only rows started at the kill waited for a receipt: ${back.rows[0]!.graced} <= ${claimed.rows[0]!.started}`);
  const dups = await everyoneOnce(t, db, vonage, members);
  t.comment(`duplicates after kill -9 and restart: ${dups}`);
  t.equal(dups, 0, 'no member received it twice');
  second.kill('SIGTERM');
  t.equal(await second.exited, 0, 'the restarted server stops cleanly');
});

t.test('without delivery receipts the residual window is the rows in flight at the kill', async (t) => {
  const { db, url } = await freshDatabase(t);
  await addMembers(db, memberSpecs(MEMBERS));
  const vonage = await startVonageStandin({ faults: { latencyMs: 30 } });
  t.teardown(() => vonage.close());
  const env = instanceEnv(url, vonage, { PORT: '0' });
  const first = spawnInstance({ ...env, INSTANCE: 'first' });
  t.teardown(() => first.kill('SIGKILL'));
  await first.ready;
  await raiseAlert(db, new Date());
  await vonage.waitFor(() => vonage.accepted().length >= MEMBERS * 0.4, 60_000);
  first.kill('SIGKILL');
  await first.exited;
  // Accepted by the provider but not recorded as sent: exactly the texts that will go twice.
  const recorded = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE state = 'sent'`.execute(db);
  await new Promise((r) => setTimeout(r, 200)); // requests written before the kill still land
  const unrecorded = vonage.accepted().length - recorded.rows[0]!.n;
  const second = spawnInstance({ ...env, INSTANCE: 'second' });
  t.teardown(() => second.kill('SIGKILL'));
  await second.ready;
  await settled(db, 90_000);
  const dups = await everyoneOnce(t, db, vonage, MEMBERS);
  t.comment(`no receipts: ${unrecorded} texts were accepted but unrecorded at the kill; duplicates: ${dups}`);
  t.ok(dups <= unrecorded, 'duplicates are bounded by the texts in flight at the kill');
  await second.stop();
});

t.test('two instances on one database: no duplicates, both send', async (t) => {
  const { db, url } = await freshDatabase(t);
  await addMembers(db, memberSpecs(MEMBERS));
  const vonage = await startVonageStandin({ faults: { latencyMs: 10 } });
  t.teardown(() => vonage.close());
  // A limit well above what the stand-in's latency allows anyway: the shared schedule is in use.
  const env = instanceEnv(url, vonage, { PORT: '0', SMS_RATE_PER_SECOND: '2000' });
  const a = spawnInstance({ ...env, INSTANCE: 'a' });
  const b = spawnInstance({ ...env, INSTANCE: 'b' });
  t.teardown(() => (a.kill('SIGKILL'), b.kill('SIGKILL')));
  await Promise.all([a.ready, b.ready]);
  await raiseAlert(db, new Date());
  await settled(db, 90_000);
  const [sa, sb] = await Promise.all([a.stop(), b.stop()]);
  t.comment(`instance a sent ${sa.sent}, instance b sent ${sb.sent}`);
  t.same(await outboxStates(db), { sent: MEMBERS });
  t.equal(vonage.requests.length, MEMBERS, 'one request per member');
  t.equal(await everyoneOnce(t, db, vonage, MEMBERS), 0, 'no duplicates');
  t.ok(sa.sent > 0 && sb.sent > 0, 'both instances did work');
  t.equal(sa.sent + sb.sent, MEMBERS);
});

t.test('lease fencing: two instances and a provider slower than the lease; every member exactly once', async (t) => {
  const { db, url } = await freshDatabase(t);
  const n = 300;
  await addMembers(db, memberSpecs(n));
  // Each request takes 1.5 s against a 1 s lease: every row a live instance is sending runs out of
  // lease mid-request and is taken back by the other instance; rows claimed but not yet started
  // run out of lease too. Neither may be sent twice: a taken-back row is never started by its old
  // holder, and the holder's late "sent" is kept because the receipt grace (20 s) has not passed (8 s was
  // too short when CI's other test files starve an instance: 12 duplicates seen).
  const vonage = await startVonageStandin({ faults: { latencyMs: 1500 } });
  t.teardown(() => vonage.close());
  const env = instanceEnv(url, vonage, { PORT: '0', LEASE_MS: '1000', RECEIPT_GRACE_MS: '20000', RECLAIM_MS: '100', CONCURRENCY: '40', SEND_TIMEOUT_MS: '20000' });
  const a = spawnInstance({ ...env, INSTANCE: 'a' });
  const b = spawnInstance({ ...env, INSTANCE: 'b' });
  t.teardown(() => (a.kill('SIGKILL'), b.kill('SIGKILL')));
  await Promise.all([a.ready, b.ready]);
  await raiseAlert(db, new Date());
  await settled(db, 120_000);
  const [sa, sb] = await Promise.all([a.stop(), b.stop()]);
  t.comment(`instance a ${JSON.stringify(sa)}, instance b ${JSON.stringify(sb)}; ${vonage.requests.length} provider requests`);
  t.same(await outboxStates(db), { sent: n }, 'every row sent');
  const taken = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE last_error LIKE 'lease expired%'`.execute(db);
  t.ok(taken.rows[0]!.n > 0, `leases ran out mid-send (${taken.rows[0]!.n} rows taken back)`);
  t.equal(await everyoneOnce(t, db, vonage, n), 0, 'no member received it twice');
  t.equal(vonage.requests.length, n, 'one provider request per member');
});
