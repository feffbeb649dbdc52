// Advisory figure (issue 14): an advisory targeted by product across 7,500 organisations and
// 10,000 contacts. Reported: the dry run (who it would reach) and the real issue (alert, advisory,
// its organisations and routed contacts, one text per contact, deliveries) in one committed
// transaction, against the 1 s target. Prints figures; asserts no time.
import { sql } from 'kysely';
import { benchDatabase, fmt, percentile } from './helpers.js';
import { dryRunAdvisory, issueAdvisory } from '../src/advisories/issue.js';
import { parseAdvisoryRequest, type AdvisoryRequest } from '../src/advisories/request.js';

// 6,000 GP practices (half run their IT through one of 50 CSUs, routed via the CSU or both), 1,200
// trusts, 50 CSUs, 42 ICBs and 208 local authorities = 7,500. Every organisation runs one of four
// estates; a tenth have no product list (estate unknown: included and flagged).
const ORGS = { gp: 6000, trust: 1200, csu: 50, icb: 42, la: 208 };
const { db, close } = await benchDatabase();
try {
  await sql`
    INSERT INTO organisations (ods_code, name, type, it_support_ods_code, routing, products)
    SELECT code, name, type, support, routing,
           CASE WHEN (i / 2) % 10 = 0 THEN NULL
                WHEN (i / 2) % 4 = 0 THEN ARRAY['Juniper ScreenOS', 'EMIS Web']
                WHEN (i / 2) % 4 = 1 THEN ARRAY['SystmOne', 'Windows Server 2016']
                WHEN (i / 2) % 4 = 2 THEN ARRAY['juniper screenos', 'Citrix ADC']
                ELSE ARRAY['Cisco ASA'] END
    FROM (
      SELECT i, 'C' || lpad(i::text, 4, '0') AS code, 'CSU ' || i AS name, 'csu' AS type, NULL AS support, NULL AS routing FROM generate_series(1, ${ORGS.csu}) i
      UNION ALL SELECT i, 'T' || lpad(i::text, 4, '0'), 'Trust ' || i, 'trust', NULL, NULL FROM generate_series(1, ${ORGS.trust}) i
      UNION ALL SELECT i, 'I' || lpad(i::text, 4, '0'), 'ICB ' || i, 'icb', NULL, NULL FROM generate_series(1, ${ORGS.icb}) i
      UNION ALL SELECT i, 'L' || lpad(i::text, 4, '0'), 'Council ' || i, 'local_authority', NULL, NULL FROM generate_series(1, ${ORGS.la}) i
      UNION ALL SELECT i, 'G' || lpad(i::text, 5, '0'), 'Practice ' || i, 'gp_practice',
             CASE WHEN i % 2 = 0 THEN 'C' || lpad((i % ${ORGS.csu} + 1)::text, 4, '0') END,
             CASE WHEN i % 2 = 0 THEN (CASE WHEN i % 6 = 0 THEN 'both' ELSE 'via_support' END) END
      FROM generate_series(1, ${ORGS.gp}) i
    ) o`.execute(db);
  // 10,000 contacts: a primary for each organisation (7,500), deputies for the trusts and CSUs
  // (1,250), and 1,250 more members at the trusts.
  await sql`
    INSERT INTO members (name, phone, email, ods_code, contact_role)
    SELECT 'Contact ' || n, '+4474' || lpad(n::text, 8, '0'), 'contact' || n || '@nhs.example', ods_code, role
    FROM (
      SELECT row_number() OVER () AS n, ods_code, role FROM (
        SELECT ods_code, 'primary' AS role FROM organisations
        UNION ALL SELECT ods_code, 'deputy' FROM organisations WHERE type IN ('trust', 'csu')
        UNION ALL SELECT ods_code, 'member' FROM organisations WHERE type = 'trust'
        UNION ALL SELECT ods_code, 'member' FROM organisations WHERE type = 'csu'
      ) x
    ) y`.execute(db);
  await sql`ANALYZE`.execute(db);
  const counts = await sql<{ orgs: number; members: number }>`SELECT (SELECT count(*) FROM organisations)::int AS orgs, (SELECT count(*) FROM members)::int AS members`.execute(db);
  const parsed = parseAdvisoryRequest({
    title: 'Juniper ScreenOS: authentication bypass, patch now', body: 'Apply the vendor fix. '.repeat(50),
    severity: 'high', target: { products: ['JUNIPER SCREENOS'] }, exercise: false, dryRun: false,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const req: AdvisoryRequest = parsed.value;

  const dry: number[] = [];
  let reach = '';
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await db.transaction().execute((trx) => dryRunAdvisory(trx, req, new Date(), { email: true, via: 'api' }));
    dry.push(performance.now() - t0);
    reach = `${fmt(r.organisations.targeted, 0)} organisations targeted (${fmt(r.organisations.estateUnknown, 0)} estate unknown), ${fmt(r.recipients, 0)} contacts`;
  }
  const issue: number[] = [];
  let sent = '';
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await db.transaction().execute((trx) => issueAdvisory(trx, req, new Date(), { email: true, via: 'api' }));
    issue.push(performance.now() - t0);
    sent = `${fmt(r.texts, 0)} texts, ${fmt(r.emails, 0)} emails`;
  }
  // The widest case: {"all": true}, every organisation and every routed contact.
  const everyone = parseAdvisoryRequest({ title: 'Every organisation: check your backups', body: 'Check them.', severity: 'high', target: { all: true }, exercise: false, dryRun: false });
  if (!everyone.ok) throw new Error(everyone.problems.join('; '));
  const t1 = performance.now();
  const all = await db.transaction().execute((trx) => issueAdvisory(trx, everyone.value, new Date(), { email: true, via: 'api' }));
  const allMs = performance.now() - t1;
  dry.sort((a, b) => a - b);
  issue.sort((a, b) => a - b);
  const median = percentile(issue, 50);
  console.log(`advisory by product over ${fmt(counts.rows[0]!.orgs, 0)} organisations and ${fmt(counts.rows[0]!.members, 0)} contacts: ${reach}`);
  console.log(`advisory dry run (resolve targets and contacts, median of 5): ${fmt(percentile(dry, 50), 0)} ms`);
  console.log(`advisory to all ${fmt(all.organisations.targeted, 0)} organisations, committed (${fmt(all.texts, 0)} texts, ${fmt(all.emails, 0)} emails): ${fmt(allMs, 0)} ms (ratio to the 1 s target ${fmt(allMs / 1000, 2)})`);
  console.log(`advisory issue, committed (resolve + ${sent}, median of 3): ${fmt(median, 0)} ms (target 1,000 ms: ratio ${fmt(median / 1000, 2)}, ${median < 1000 ? 'met' : 'missed'})`);
} finally {
  await close();
}
