import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import {
  contactsOf,
  createOrganisation,
  deleteOrganisation,
  getOrganisation,
  listOrganisations,
  updateOrganisation,
} from '../src/directory/org-store.js';
import { checkOrganisation, effectiveRouting, type OrganisationFields } from '../src/directory/org-validate.js';
import { HttpError } from '../src/http/errors.js';

const now = new Date('2026-11-29T10:00:00Z');

function org(raw: Parameters<typeof checkOrganisation>[0]): OrganisationFields {
  const c = checkOrganisation(raw);
  if (!c.ok) throw new Error(c.reason);
  return c.value;
}

t.test('checkOrganisation: normalises and refuses with a reason', async (t) => {
  const o = org({ odsCode: ' rxr10 ', name: ' East  Lancs  Trust ', type: 'Trust', products: 'EMIS Web; emis web ;Windows 10;' });
  t.same([o.odsCode, o.name, o.type, o.products, o.routing, o.region], ['RXR10', 'East Lancs Trust', 'trust', ['EMIS Web', 'Windows 10'], null, null]);
  t.equal(org({ odsCode: 'A81001', name: 'x', type: 'GP practice' }).type, 'gp_practice');
  t.equal(org({ odsCode: 'A81001', name: 'x', type: 'gp', products: '' }).products, null, 'blank products: estate unknown');
  t.same(org({ odsCode: 'A81001', name: 'x', type: 'gp', products: [] }).products, [], 'an empty list is kept');
  const bad = (raw: Parameters<typeof checkOrganisation>[0]) => {
    const c = checkOrganisation(raw);
    return c.ok ? 'ok' : c.reason;
  };
  t.match(bad({ odsCode: 'R!1', name: 'x', type: 'trust' }), /not an ODS code/);
  t.match(bad({ odsCode: 'R1', name: 'x', type: 'trust' }), /not an ODS code/);
  t.match(bad({ odsCode: 'RXR1234', name: 'x', type: 'trust' }), /not an ODS code/);
  t.match(bad({ odsCode: 'RXR', name: ' ', type: 'trust' }), /name is empty/);
  t.match(bad({ odsCode: 'RXR', name: 'x', type: 'hospital' }), /type "hospital" is not one of/);
  t.match(bad({ odsCode: 'RXR', name: 'x', type: 'trust', parentOdsCode: 'rxr' }), /itself/);
  t.match(bad({ odsCode: 'RXR', name: 'x', type: 'trust', routing: 'via_support' }), /needs an it_support_ods_code/);
  t.match(bad({ odsCode: 'RXR', name: 'x', type: 'trust', routing: 'sideways' }), /routing "sideways"/);
  t.equal(effectiveRouting({ routing: null, itSupportOdsCode: 'X1X' }), 'both');
  t.equal(effectiveRouting({ routing: null, itSupportOdsCode: null }), 'direct');
});

t.test('store: create, list with filters, update, cycles refused, delete refused while referred to', async (t) => {
  const { db } = await freshDatabase(t);
  await createOrganisation(db, org({ odsCode: 'QOP', name: 'Greater Manchester ICB', type: 'icb', region: 'North West' }), now);
  await createOrganisation(db, org({ odsCode: '0CX', name: 'North West CSU', type: 'csu', region: 'North West', parentOdsCode: 'QOP' }), now);
  await createOrganisation(
    db,
    org({ odsCode: 'P84001', name: 'Ancoats Surgery', type: 'gp_practice', region: 'north west', parentOdsCode: 'QOP', itSupportOdsCode: '0CX', products: 'EMIS Web' }),
    now,
  );
  const p = await getOrganisation(db, 'p84001');
  t.equal(p.effectiveRouting, 'both');
  t.same(p.products, ['EMIS Web']);

  const nw = await listOrganisations(db, { region: 'NORTH WEST', limit: 10, offset: 0 });
  t.equal(nw.total, 3, 'region matches ignoring case');
  t.equal((await listOrganisations(db, { type: 'csu', limit: 10, offset: 0 })).total, 1);
  t.same((await listOrganisations(db, { search: 'ancoats', limit: 10, offset: 0 })).organisations.map((o) => o.odsCode), ['P84001']);
  t.same((await listOrganisations(db, { search: '0cx', limit: 10, offset: 0 })).organisations.map((o) => o.odsCode), ['0CX']);
  t.equal((await listOrganisations(db, { limit: 1, offset: 1 })).organisations.length, 1, 'paged');

  const dup = await createOrganisation(db, org({ odsCode: 'qop', name: 'again', type: 'icb' }), now).catch((e: unknown) => e);
  t.ok(dup instanceof HttpError && dup.statusCode === 409);
  const missing = await createOrganisation(db, org({ odsCode: 'ZZZ', name: 'z', type: 'other', parentOdsCode: 'NOPE' }), now).catch((e: unknown) => e);
  t.match((missing as Error).message, /NOPE is not in the directory/);

  const cycle = await updateOrganisation(db, 'QOP', { parentOdsCode: 'P84001' }, now).catch((e: unknown) => e);
  t.ok(cycle instanceof HttpError && cycle.statusCode === 400);
  t.match((cycle as Error).message, /cycle: QOP -> P84001 -> QOP/);
  t.equal((await getOrganisation(db, 'QOP')).parentOdsCode, null, 'nothing half-written');

  // Products match case-insensitively through the generated, GIN-indexed column.
  const m = await sql<{ ods_code: string }>`SELECT ods_code FROM organisations WHERE products_lower && ARRAY['emis web']`.execute(db);
  t.same(m.rows.map((r) => r.ods_code), ['P84001']);

  await db.insertInto('members').values({ name: 'Pat', phone: '+447700900001', ods_code: 'P84001', contact_role: 'primary' }).execute();
  await db.insertInto('members').values({ name: 'Dee', phone: '+447700900002', ods_code: 'P84001', contact_role: 'deputy' }).execute();
  t.same((await contactsOf(db, ['P84001'])).map((c) => c.name), ['Pat']);
  t.same((await contactsOf(db, ['P84001'], ['deputy'])).map((c) => c.name), ['Dee']);

  const inUse = await deleteOrganisation(db, 'P84001').catch((e: unknown) => e);
  t.match((inUse as Error).message, /2 members/);
  const parentInUse = await deleteOrganisation(db, 'QOP').catch((e: unknown) => e);
  t.match((parentInUse as Error).message, /2 organisations/);
  await db.deleteFrom('members').execute();
  await deleteOrganisation(db, 'P84001');
  t.equal((await listOrganisations(db, { limit: 10, offset: 0 })).total, 2);

  // The database refuses what the store would: lower-case code, a contact without an organisation.
  await t.rejects(sql`INSERT INTO organisations (ods_code, name, type) VALUES ('abc', 'x', 'trust')`.execute(db));
  await t.rejects(db.insertInto('members').values({ name: 'No', phone: '+447700900003', contact_role: 'primary' }).execute());
  await t.rejects(db.insertInto('members').values({ name: 'No', phone: '+447700900004', ods_code: 'NOPE' }).execute());
});
