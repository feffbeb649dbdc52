// Issuing an advisory against a real PostgreSQL: targeting, routing per policy, one text per
// contact, the dry run sending nothing, numbers shared with peer alerts, refusals writing nothing.
import t from 'tap';
import fc from 'fast-check';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addContacts, addOrganisations, type OrgSpec } from './helpers/advisory-fixtures.js';
import { addMembers, memberSpecs } from './helpers/alert-fixtures.js';
import { createAlert } from '../src/alerts/create.js';
import { dryRunAdvisory, issueAdvisory, NoOrganisations, UnknownOrganisations } from '../src/advisories/issue.js';
import { parseAdvisoryRequest, type AdvisoryRequest } from '../src/advisories/request.js';
import { previewTargets } from '../src/advisories/resolve.js';
import { matchTarget, type Target } from '../src/advisories/target.js';
import { routeAdvisory } from '../src/advisories/routing.js';

const NOW = new Date('2026-12-01T09:00:00Z');

function request(over: Record<string, unknown>): AdvisoryRequest {
  const r = parseAdvisoryRequest({ title: 'Juniper ScreenOS backdoor', body: 'Patch ScreenOS to 6.3.0r21 now.', severity: 'high', target: { products: ['Juniper ScreenOS'] }, ...over });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value;
}

t.test('issue and dry run', async (t) => {
  const { db } = await freshDatabase(t);
  const practices: OrgSpec[] = Array.from({ length: 30 }, (_, i) => ({
    odsCode: `A81${String(i).padStart(3, '0')}`,
    name: `Practice ${i}`,
    type: 'gp_practice',
    region: 'North East',
    itSupport: 'CSU01',
    routing: i === 0 ? 'direct' : i === 1 ? 'both' : 'via_support',
    products: i === 29 ? null : ['Juniper ScreenOS', 'EMIS Web'],
  }));
  await addOrganisations(db, [
    { odsCode: 'CSU01', name: 'North CSU', type: 'csu', region: 'North East', products: ['Windows'] },
    { odsCode: 'RX1', name: 'Northtown Trust', type: 'trust', region: 'North East', products: ['juniper screenos'] },
    { odsCode: 'RX2', name: 'Southtown Trust', type: 'trust', region: 'London', products: ['Citrix ADC'] },
    { odsCode: 'RX3', name: 'Nobody Trust', type: 'trust', region: 'London', products: null },
    ...practices,
  ]);
  const [csu, , rx1, , p0, p1] = await addContacts(db, [
    { name: 'Cas CSU', odsCode: 'CSU01', email: 'cas@csu.example' },
    { name: 'Dee CSU deputy', odsCode: 'CSU01', role: 'deputy' },
    { name: 'Rita Northtown', odsCode: 'RX1', email: 'rita@nt.example' },
    { name: 'Sam Southtown', odsCode: 'RX2' },
    { name: 'Pat Practice0', odsCode: 'A81000' },
    { name: 'Pia Practice1', odsCode: 'A81001' },
    { name: 'Olga Opted-out', odsCode: 'A81002', optedOut: true },
  ]);
  await addMembers(db, memberSpecs(3)); // members with no organisation: never advisory contacts
  // A peer alert first: the advisory takes the next number.
  await db.transaction().execute((trx) => createAlert(trx, { raiserId: null, raiserName: 'Jane', raiserOrg: 'X', summary: 'Peer alert', exercise: false, source: 'admin' }, NOW));

  const outboxBefore = await sql<{ o: number }>`SELECT count(*)::int AS o FROM outbox`.execute(db);
  const req = request({});
  const dry = await db.transaction().execute((trx) => dryRunAdvisory(trx, req, NOW, { email: true, via: 'api' }));
  t.equal(dry.number, null);
  t.same(dry.organisations, { targeted: 32, reachable: 31, unreachable: 1, estateUnknown: 2 }, 'RX1, 30 practices, RX3 (estate unknown); not RX2 or the CSU');
  t.same(dry.unreachable, [{ odsCode: 'RX3', name: 'Nobody Trust' }]);
  const by = new Map(dry.preview.map((o) => [o.odsCode, o]));
  t.same(by.get('A81000')!.contacts.map((c) => [c.name, c.route]), [['Pat Practice0', 'direct']], 'direct: its own primary only');
  t.same(by.get('A81001')!.contacts.map((c) => [c.name, c.route]), [['Pia Practice1', 'direct'], ['Cas CSU', 'via_support']], 'both');
  t.same(by.get('A81005')!.contacts.map((c) => [c.name, c.route]), [['Cas CSU', 'via_support']], 'via_support: the CSU primary, not the deputy');
  t.same(by.get('A81002')!.contacts.map((c) => c.name), ['Cas CSU'], 'an opted-out primary of a via_support practice is not a contact');
  t.equal(by.get('A81029')!.estateUnknown, true);
  t.equal(dry.recipients, 4, 'CSU, Northtown, practice 0 and 1 contacts');
  const nothing = await sql<{ o: number; a: number }>`SELECT (SELECT count(*) FROM outbox)::int AS o, (SELECT count(*) FROM alerts WHERE kind = 'advisory')::int AS a`.execute(db);
  t.same(nothing.rows[0], { o: outboxBefore.rows[0]!.o, a: 0 }, 'a dry run sends nothing and numbers nothing');

  const r = await db.transaction().execute((trx) => issueAdvisory(trx, req, NOW, { email: true, via: 'api' }));
  t.equal(r.number, 2, 'shares the alert numbers');
  t.equal(r.respondBy!.toISOString(), '2026-12-03T09:00:00.000Z');
  t.same(r.organisations, dry.organisations, 'the dry run showed what sending did');
  t.same([r.recipients, r.texts, r.emails], [4, 4, 2]);
  const texts = await sql<{ member_id: number; body: string }>`SELECT member_id, body FROM outbox WHERE channel = 'sms' AND kind = 'advisory' ORDER BY member_id`.execute(db);
  const text = new Map(texts.rows.map((x) => [x.member_id, x.body]));
  t.equal(text.get(csu!), 'NHS CYBER ADVISORY #2 (HIGH): Juniper ScreenOS backdoor. Respond by Thu 3 Dec 09:00: reply ACK 2. Details by email. You answer for 29 organisations: one reply counts for all, or add an ODS code (ACK 2 A81001).', 'the CSU contact: one text for 29 practices');
  t.equal(text.get(rx1!), 'NHS CYBER ADVISORY #2 (HIGH): Juniper ScreenOS backdoor. Respond by Thu 3 Dec 09:00: reply ACK 2. Details by email.');
  t.ok(text.has(p0!) && text.has(p1!));
  const deliveries = await sql<{ n: number }>`SELECT count(*)::int AS n FROM deliveries WHERE alert_number = 2`.execute(db);
  t.equal(deliveries.rows[0]!.n, 4);
  const emails = await sql<{ recipient: string; body: string }>`SELECT recipient, body FROM outbox WHERE channel = 'email' AND alert_number = 2 ORDER BY recipient`.execute(db);
  t.same(emails.rows.map((e) => e.recipient), ['cas@csu.example', 'rita@nt.example']);
  t.equal(emails.rows[0]!.body, 'NHS CYBER ADVISORY #2 (HIGH): Juniper ScreenOS backdoor');
  const alert = await sql<{ kind: string; recipient_count: number; summary: string }>`SELECT kind, recipient_count, summary FROM alerts WHERE number = 2`.execute(db);
  t.same(alert.rows[0], { kind: 'advisory', recipient_count: 4, summary: 'Juniper ScreenOS backdoor' });

  // Refusals write nothing.
  await t.rejects(db.transaction().execute((trx) => issueAdvisory(trx, request({ target: { odsCodes: ['RX1', 'ZZZ99'] } }), NOW, { email: true, via: 'api' })), UnknownOrganisations);
  await t.rejects(db.transaction().execute((trx) => issueAdvisory(trx, request({ target: { types: ['local_authority'] }, severity: 'low' }), NOW, { email: false, via: 'api' })), NoOrganisations);
  const after = await sql<{ n: number }>`SELECT max(number)::int AS n FROM alerts`.execute(db);
  t.equal(after.rows[0]!.n, 2, 'no number taken by a refused advisory');

  // Exercise wording and a low advisory with no deadline.
  const ex = await db.transaction().execute((trx) => issueAdvisory(trx, request({ exercise: true, severity: 'low', target: { odsCodes: ['RX1'] } }), NOW, { email: false, via: 'cli' }));
  t.equal(ex.respondBy, null);
  const exText = await sql<{ body: string }>`SELECT body FROM outbox WHERE alert_number = ${ex.number} AND channel = 'sms'`.execute(db);
  t.equal(exText.rows[0]!.body, 'EXERCISE NHS CYBER ADVISORY #3 (LOW): Juniper ScreenOS backdoor. Reply ACK 3. Details by email. THIS IS AN EXERCISE.');
});

t.test('the SQL resolution agrees with the pure rules on random directories', async (t) => {
  const { db } = await freshDatabase(t);
  const types = ['trust', 'gp_practice', 'csu'] as const;
  const regions = ['London', 'North East', null] as const;
  const products = ['Juniper ScreenOS', 'EMIS Web', 'Citrix ADC'];
  const orgArb = fc.record({
    type: fc.constantFrom(...types),
    region: fc.constantFrom(...regions),
    routing: fc.constantFrom('direct', 'via_support', 'both', null),
    support: fc.nat(3),
    products: fc.option(fc.subarray(products), { nil: null }),
    primaries: fc.nat(2),
    optedOut: fc.boolean(),
  });
  const targetArb = fc.record({
    types: fc.subarray([...types]),
    regions: fc.subarray(['London', 'north east']),
    products: fc.subarray(['juniper screenos', 'EMIS WEB']),
  }).map((x): Target => ({ all: x.types.length + x.regions.length + x.products.length === 0, odsCodes: [], ...x }));

  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(orgArb, { minLength: 1, maxLength: 12 }), targetArb, async (specs, target) => {
      run++;
      const prefix = `Q${String(run).padStart(2, '0')}`;
      const csus = [0, 1, 2].map((i) => `${prefix}S${i}`);
      const orgs: OrgSpec[] = csus.map((c) => ({ odsCode: c, type: 'csu', region: 'London', products: ['Windows'] }));
      specs.forEach((s, i) => {
        const support = s.support < 3 ? csus[s.support]! : null;
        orgs.push({ odsCode: `${prefix}${String(i).padStart(2, '0')}`, type: s.type, region: s.region, products: s.products, itSupport: support, routing: s.routing === 'via_support' && support === null ? 'direct' : s.routing });
      });
      // Everything happens in a transaction that is rolled back: each run sees only its own directory.
      const fail = new Error('rollback');
      let result: { sql: string; pure: string } | undefined;
      await db.transaction().execute(async (trx) => {
        await addOrganisations(trx, orgs);
        const contacts = orgs.flatMap((o, i) => Array.from({ length: o.type === 'csu' ? 1 : specs[i - 3]!.primaries }, (_, k) => ({ name: `${o.odsCode}-${k}`, odsCode: o.odsCode, optedOut: o.type !== 'csu' && specs[i - 3]!.optedOut && k === 0 })));
        const ids = await addContacts(trx, contacts);
        const primaries = new Map<string, number[]>();
        contacts.forEach((c, i) => {
          if (c.optedOut) return;
          primaries.set(c.odsCode, [...(primaries.get(c.odsCode) ?? []), ids[i]!]);
        });
        const included = orgs.filter((o) => matchTarget({ odsCode: o.odsCode, type: o.type!, region: o.region ?? null, products: o.products ?? null }, target).included);
        const pure = routeAdvisory(included.map((o) => ({ odsCode: o.odsCode, routing: o.routing ?? null, itSupportOdsCode: o.itSupport ?? null })), primaries);
        const preview = await previewTargets(trx, target, false);
        result = {
          sql: JSON.stringify(preview.map((o) => [o.odsCode, o.routing, o.contacts.map((c) => `${c.memberId}:${c.route}`).sort()])),
          pure: JSON.stringify(pure.organisations.map((o) => [o.odsCode, o.routing, o.contacts.map((c) => `${c.memberId}:${c.route}`).sort()]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))),
        };
        throw fail;
      }).catch((e: unknown) => {
        if (e !== fail) throw e;
      });
      return result!.sql === result!.pure;
    }),
    { numRuns: 40 },
  );
  t.pass('40 random directories resolved alike');
});
