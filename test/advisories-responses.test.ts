// Answers and deadlines against PostgreSQL: bulk and single-organisation answers, the lifecycle
// order, late answers, and the reminder and escalation exactly once with two instances and after
// a restart (a new connection pool, as a restarted process has).
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addContacts, addOrganisations, type OrgSpec } from './helpers/advisory-fixtures.js';
import { connect } from '../src/db/connect.js';
import { issueAdvisory } from '../src/advisories/issue.js';
import { parseAdvisoryRequest } from '../src/advisories/request.js';
import { answerAdvisory, odsCodeIn } from '../src/advisories/respond.js';
import { sweepAdvisoryDeadlines } from '../src/advisories/sweep.js';

const NOW = new Date('2026-12-01T09:00:00Z');
const h = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

t.test('odsCodeIn: a code has a digit, or is one of theirs', async (t) => {
  t.equal(odsCodeIn('A81001'), 'A81001');
  t.equal(odsCodeIn(' a81001, thanks'), 'A81001');
  t.equal(odsCodeIn('thanks'), null);
  t.equal(odsCodeIn('RXR', ['RXR']), 'RXR');
  t.equal(odsCodeIn('PCs down', ['RXR']), null);
  t.equal(odsCodeIn(''), null);
});

t.test('answers, lifecycle, deadlines', async (t) => {
  const { db, url } = await freshDatabase(t);
  const practices: OrgSpec[] = Array.from({ length: 30 }, (_, i) => ({ odsCode: `A81${String(i).padStart(3, '0')}`, name: `Practice ${i}`, type: 'gp_practice', itSupport: 'CSU01', routing: 'via_support' }));
  await addOrganisations(db, [
    { odsCode: 'CSU01', name: 'North CSU', type: 'csu' },
    { odsCode: 'RX1', name: 'Northtown Trust', type: 'trust' },
    { odsCode: 'RX2', name: 'Southtown Trust', type: 'trust' },
    ...practices,
  ]);
  const [cas, rita, sam, pat, dora] = await addContacts(db, [
    { name: 'Cas CSU', odsCode: 'CSU01' },
    { name: 'Rita Northtown', odsCode: 'RX1' },
    { name: 'Sam Southtown', odsCode: 'RX2' },
    { name: 'Pat Practice 3 (own primary)', odsCode: 'A81003' },
    { name: 'Dora Practice 3 deputy', odsCode: 'A81003', role: 'deputy' },
    { name: 'Rob Northtown deputy', odsCode: 'RX1', role: 'deputy' },
  ]);
  const req = parseAdvisoryRequest({ title: 'Juniper ScreenOS backdoor', body: 'Patch now.', severity: 'high', target: { types: ['trust', 'gp_practice'] } });
  if (!req.ok) throw new Error('bad request');
  const issued = await db.transaction().execute((trx) => issueAdvisory(trx, req.value, NOW, { email: false, via: 'api' }));
  const n = issued.number!;
  t.same(issued.organisations, { targeted: 32, reachable: 32, unreachable: 0, estateUnknown: 0 });
  const answer = (member: number, name: string, a: Parameters<typeof answerAdvisory>[3], words: string, at: Date) =>
    db.transaction().execute((trx) => answerAdvisory(trx, { id: member, name }, n, a, words, at));

  // RESOLVED before ACK: accepted, implies the acknowledgement.
  const resolved = await answer(sam!, 'Sam', 'resolved', '', h(1));
  t.match(resolved, { outcome: 'recorded', organisations: 1, changed: 1, late: false, single: { odsCode: 'RX2' } });
  const rx2 = await sql<{ response: string; first_response_at: Date; on_time: boolean; responded_by_name: string }>`
    SELECT response, first_response_at, on_time, responded_by_name FROM advisory_organisations WHERE advisory = ${n} AND ods_code = 'RX2'`.execute(db);
  t.same(rx2.rows[0], { response: 'resolved', first_response_at: h(1), on_time: true, responded_by_name: 'Sam' });
  t.match(await answer(sam!, 'Sam', 'affected', '', h(2)), { outcome: 'recorded', changed: 0, unchanged: 1 }, 'resolved is final');

  // Single organisation named by its ODS code, then the bulk answer for the rest.
  t.match(await answer(cas!, 'Cas', 'affected', 'A81001 two servers', h(2)), { outcome: 'recorded', organisations: 1, changed: 1, single: { odsCode: 'A81001', name: 'Practice 1' } });
  t.match(await answer(cas!, 'Cas', 'ack', 'ZZZ999', h(2)), { outcome: 'unknownOrganisation', odsCode: 'ZZZ999' }, 'an ODS code that is not theirs');
  t.match(await answer(cas!, 'Cas', 'ack', 'RX1', h(2)), { outcome: 'unknownOrganisation', odsCode: 'RX1' }, 'a real organisation they do not answer for');
  t.match(await answer(rita!, 'Rita', 'ack', '', h(2)), { outcome: 'recorded', organisations: 1 });
  t.match(await answer(sam!, 'Sam', 'ack', '', h(2)).then((r) => r.outcome), 'recorded');
  t.match(await answer(pat!, 'Pat', 'ack', '', h(2)), { outcome: 'notReceived' }, 'a practice primary reached via the CSU did not receive it');

  // Half-way: reminders to contacts of organisations with no response, once.
  t.same(await sweepAdvisoryDeadlines(db, h(23), { email: false }), { reminded: 0, escalated: 0, texts: 0 }, 'nothing before half the window');
  const other = connect(url, 4); // a second instance
  t.teardown(() => other.destroy());
  const [a, b] = await Promise.all([sweepAdvisoryDeadlines(db, h(24), { email: false }), sweepAdvisoryDeadlines(other, h(24), { email: false })]);
  t.equal(a.reminded + b.reminded, 29, 'the 29 practices without a response (practice 1 answered; the trusts acknowledged)');
  t.equal(a.texts + b.texts, 1, 'one reminder: the CSU contact, for all 29');
  const reminder = await sql<{ member_id: number; body: string }>`SELECT member_id, body FROM outbox WHERE kind = 'advisory_reminder'`.execute(db);
  t.same(reminder.rows, [{ member_id: cas, body: 'Reminder: NHS CYBER ADVISORY #1 (HIGH): Juniper ScreenOS backdoor. No response yet for 29 of your 30 organisations. Respond by Thu 3 Dec 09:00: reply ACK 1.' }]);
  const restarted = connect(url, 2);
  t.same(await sweepAdvisoryDeadlines(restarted, h(30), { email: false }), { reminded: 0, escalated: 0, texts: 0 }, 'after a restart: nothing again');
  await restarted.destroy();

  // Bulk answer: counts for every organisation the contact received it for.
  t.match(await answer(cas!, 'Cas', 'not_affected', '', h(40)), { outcome: 'recorded', organisations: 30, changed: 30 }, 'practice 1 corrected from affected too');

  // Escalation at the deadline to deputies and, for via_support, the organisation's own primaries.
  const req2 = parseAdvisoryRequest({ title: 'Citrix ADC', body: 'Patch.', severity: 'high', respondWithinHours: 4, target: { odsCodes: ['RX1', 'A81003', 'RX2'] } });
  if (!req2.ok) throw new Error('bad request');
  const second = await db.transaction().execute((trx) => issueAdvisory(trx, req2.value, NOW, { email: false, via: 'api' }));
  const n2 = second.number!;
  await db.transaction().execute((trx) => answerAdvisory(trx, { id: sam!, name: 'Sam' }, n2, 'ack', '', h(1)));
  const [x, y] = await Promise.all([sweepAdvisoryDeadlines(db, h(4), { email: false }), sweepAdvisoryDeadlines(other, h(4), { email: false })]);
  t.equal(x.escalated + y.escalated, 2, 'RX1 and A81003, not the acknowledged RX2');
  const esc = await sql<{ member_id: number; body: string }>`SELECT member_id, body FROM outbox WHERE kind = 'advisory_escalation' AND alert_number = ${n2} ORDER BY member_id`.execute(db);
  t.same(esc.rows.map((r) => r.member_id), [pat, dora, dora! + 1].sort((p, q) => p! - q!), 'practice 3 primary (via_support) and deputy, Northtown deputy; once each');
  t.match(esc.rows[0]!.body, /^OVERDUE NHS CYBER ADVISORY #2 \(HIGH\): Citrix ADC\. No response from Practice 3 by the deadline/);
  t.same(await sweepAdvisoryDeadlines(db, h(5), { email: false }), { reminded: 0, escalated: 0, texts: 0 }, 'escalated once');

  // A late answer: recorded, marked late; the escalated deputy can answer.
  const late = await db.transaction().execute((trx) => answerAdvisory(trx, { id: dora!, name: 'Dora' }, n2, 'affected', '', h(6)));
  t.match(late, { outcome: 'recorded', late: true, organisations: 1, single: { odsCode: 'A81003' } });
  const row = await sql<{ on_time: boolean; response: string }>`SELECT on_time, response FROM advisory_organisations WHERE advisory = ${n2} AND ods_code = 'A81003'`.execute(db);
  t.same(row.rows[0], { on_time: false, response: 'affected' });
  const log = await sql<{ n: number; late: number }>`SELECT count(*)::int AS n, (count(*) FILTER (WHERE NOT on_time))::int AS late FROM advisory_answers WHERE advisory = ${n2}`.execute(db);
  t.same(log.rows[0], { n: 2, late: 1 }, 'every answer logged with on time or late');
});
