// Coverage by organisation: the query behind GET /api/alerts/:n/organisations and STATUS for an
// alert to 10,000 members in 2,000 organisations (target under 50 ms), and the escalation sweep
// over 2,000 uncovered organisations (one deputy each). Prints figures; asserts no time.
import { sql } from 'kysely';
import { benchDatabase, fmt, percentile } from './helpers.js';
import { createAlert } from '../src/alerts/create.js';
import { continueFanOut } from '../src/alerts/fanout.js';
import { alertCoverage, type CoverageSummary } from '../src/alerts/coverage.js';
import { sweepEscalations } from '../src/alerts/escalation.js';

const ORGS = 2000;
const MEMBERS = 10_000; // 4 members and 1 deputy per organisation
const { db, close } = await benchDatabase();
try {
  await sql`TRUNCATE organisations, members, alerts, deliveries, outbox, alert_organisations RESTART IDENTITY CASCADE`.execute(db);
  await sql`
    INSERT INTO organisations (ods_code, name, type)
    SELECT 'B' || lpad(i::text, 5, '0'), 'Organisation ' || i, 'gp_practice' FROM generate_series(1, ${ORGS}) i`.execute(db);
  await sql`
    INSERT INTO members (name, phone, ods_code, contact_role)
    SELECT 'Member ' || i, '+4474' || lpad(i::text, 8, '0'), 'B' || lpad((i % ${ORGS} + 1)::text, 5, '0'),
           CASE WHEN i <= ${ORGS} THEN 'deputy' ELSE 'member' END
    FROM generate_series(1, ${MEMBERS}) i`.execute(db);
  await sql`ANALYZE`.execute(db);
  const t0 = new Date();
  const { alert } = await db.transaction().execute((trx) =>
    createAlert(trx, { raiserId: null, raiserName: 'Bench', raiserOrg: '', summary: 'Coverage bench', exercise: false, source: 'admin' }, t0),
  );
  while ((await continueFanOut(db, t0)) !== null); // the rest of the broadcast, as the server's fan-out worker writes it
  // A third of the organisations acknowledged, a few answered.
  await sql`UPDATE deliveries SET acked_at = now(), situation = CASE WHEN member_id % 7 = 0 THEN 'affected' END
            WHERE alert_number = ${alert.number} AND right(ods_code, 5)::int % 3 = 0`.execute(db);
  await sql`ANALYZE deliveries`.execute(db);

  const times: number[] = [];
  let summary: CoverageSummary | undefined;
  for (let i = 0; i < 30; i++) {
    const s = performance.now();
    summary = (await alertCoverage(db, alert.number))!.summary;
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  console.log(`coverage query (${fmt(alert.recipient_count, 0)} recipients, ${fmt(summary!.targeted, 0)} organisations) median: ${fmt(percentile(times, 50))} ms`);
  console.log(`coverage query p95: ${fmt(percentile(times, 95))} ms`);

  const s = performance.now();
  const r = await sweepEscalations(db, { escalateAfterMinutes: 15 }, new Date(t0.getTime() + 16 * 60_000));
  console.log(`escalation sweep: ${fmt(performance.now() - s, 0)} ms for ${fmt(r.organisations, 0)} organisations, ${fmt(r.deputies, 0)} deputies queued`);
  const s2 = performance.now();
  const again = await sweepEscalations(db, { escalateAfterMinutes: 15 }, new Date(t0.getTime() + 17 * 60_000));
  console.log(`escalation sweep with nothing due: ${fmt(performance.now() - s2, 1)} ms (${again.organisations} organisations)`);
} finally {
  await close();
}
