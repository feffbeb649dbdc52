// Escalation to deputies with real server processes (src/main.ts, the entry point `npm start` runs compiled): two
// servers on one database sweep at the same moment, one is killed with SIGKILL and a fresh one
// starts and sweeps again. Every deputy of an uncovered organisation must get the alert exactly
// once, no deputy of a covered organisation any, whatever the processes did.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { raiseAlert } from './helpers/alert-fixtures.js';
import { startVonageStandin } from './helpers/vonage-standin.js';
import { spawnServer } from './helpers/server-process.js';
import { settled } from './helpers/delivery.js';

t.setTimeout(300_000);
const ORGS = 120;

t.test('escalation exactly once with two server processes, a kill -9 and a restart', async (t) => {
  const { db, url } = await freshDatabase(t);
  const orgs = Array.from({ length: ORGS }, (_, i) => ({
    ods_code: `E${String(i).padStart(4, '0')}`, name: `Trust ${i}`, type: 'trust' as const, region: null,
    parent_ods_code: null, it_support_ods_code: null, routing: null, products: null,
  }));
  await db.insertInto('organisations').values(orgs).execute();
  const phone = (k: number) => `+4474009${String(k).padStart(5, '0')}`;
  await db
    .insertInto('members')
    .values(orgs.flatMap((o, i) => [
      { name: `Primary ${i}`, phone: phone(2 * i), ods_code: o.ods_code, contact_role: 'primary' as const },
      { name: `Deputy ${i}`, phone: phone(2 * i + 1), ods_code: o.ods_code, contact_role: 'deputy' as const },
    ]))
    .execute();
  // Raised 20 minutes ago (ESCALATE_AFTER_MINUTES is 15): due for escalation the moment a server sweeps.
  const n = await raiseAlert(db, new Date(Date.now() - 20 * 60_000));
  // A quarter of the organisations acknowledged in time (their primaries' deliveries).
  const covered = new Set(orgs.filter((_, i) => i % 4 === 0).map((o) => o.ods_code));
  await sql`UPDATE deliveries SET acked_at = now() WHERE alert_number = ${n} AND ods_code = ANY(${[...covered]}::text[])`.execute(db);

  const base = 20000 + Math.floor(Math.random() * 20000);
  // Signed delivery receipts go to the server that stays up (b), as Vonage's would to the service:
  // texts the killed server handed to the provider but never recorded are closed by their receipts,
  // not sent again (without receipts, 81 of them went twice in a CI run: the window the crash test
  // measures). Escalation is what this test is about; receipts make the sending exact too.
  const vonage = await startVonageStandin({
    faults: { latencyMs: 5 },
    receipts: { url: `http://127.0.0.1:${base + 1}/webhooks/vonage/status`, secret: 'escalation-test-signature', delayMs: 100, retryMs: 100 },
  });
  t.teardown(() => vonage.close());
  const env = (k: number) => ({
    DATABASE_URL: url, ADMIN_TOKEN: 'escalation-test-admin-token-0123', PORT: String(base + k), DATA_DIR: t.testdirName,
    VONAGE_API_KEY: vonage.apiKey, VONAGE_API_SECRET: vonage.apiSecret, VONAGE_REST_HOST: vonage.url,
    VONAGE_SIGNATURE_SECRET: 'escalation-test-signature', BATSIGNAL_NUMBER: '447700900999', SMS_RATE_PER_SECOND: '0',
  });
  const a = spawnServer(env(0));
  const b = spawnServer(env(1));
  t.teardown(() => (a.kill('SIGKILL'), b.kill('SIGKILL')));
  await Promise.all([a.ready, b.ready]);
  // Both swept at start; one dies without a clean stop, whatever it was doing.
  a.kill('SIGKILL');
  t.equal(await a.exited, null, 'the first server was killed by the signal');
  const c = spawnServer(env(2));
  t.teardown(() => c.kill('SIGKILL'));
  await c.ready; // its start sweep runs now, on the state the others left
  await settled(db, 120_000);

  const marked = await sql<{ ods_code: string }>`SELECT ods_code FROM alert_organisations WHERE alert_number = ${n} AND escalated_at IS NOT NULL`.execute(db);
  t.same(marked.rows.map((r) => r.ods_code).sort(), orgs.map((o) => o.ods_code).filter((c) => !covered.has(c)).sort(), 'every uncovered organisation escalated, no covered one');
  const texts = (k: number) => vonage.acceptedTo(phone(k));
  const deputiesWrong = orgs.flatMap((o, i) => (texts(2 * i + 1) === (covered.has(o.ods_code) ? 0 : 1) ? [] : [`${o.ods_code}: ${texts(2 * i + 1)}`]));
  t.same(deputiesWrong, [], 'each deputy of an uncovered organisation texted exactly once; of a covered one, never');
  const primariesWrong = orgs.flatMap((o, i) => (texts(2 * i) === 1 ? [] : [`${o.ods_code}: ${texts(2 * i)}`]));
  t.same(primariesWrong, [], 'each primary has the alert exactly once');
  t.equal(vonage.duplicates(), 0, 'no outbox row was sent twice');
  b.kill('SIGTERM');
  c.kill('SIGTERM');
  t.equal(await b.exited, 0, 'clean stop');
  t.equal(await c.exited, 0, 'clean stop');
});
