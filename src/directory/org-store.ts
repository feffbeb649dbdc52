// The organisation directory in SQL: list, get, create, update, delete, contacts. Input arrives
// checked (org-validate.ts); this module checks what needs the directory (links exist, no cycle,
// nothing refers to what is deleted) and maps rows to the API's shape.
import { sql, type Selectable } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
import type { ContactRole, OrganisationsTable, OrganisationType, Routing } from '../db/schema.js';
import { HttpError, notFound } from '../http/errors.js';
import { effectiveRouting, findCycle, type OrganisationFields } from './org-validate.js';

/** What the API shows. */
export interface OrganisationView extends OrganisationFields {
  /** routing with the default rule applied. */
  effectiveRouting: Routing;
  createdAt: Date;
  updatedAt: Date;
}

export function organisationFields(r: Selectable<OrganisationsTable>): OrganisationFields {
  return {
    odsCode: r.ods_code,
    name: r.name,
    type: r.type,
    region: r.region,
    parentOdsCode: r.parent_ods_code,
    itSupportOdsCode: r.it_support_ods_code,
    routing: r.routing,
    products: r.products,
  };
}

export function organisationView(r: Selectable<OrganisationsTable>): OrganisationView {
  const f = organisationFields(r);
  return { ...f, effectiveRouting: effectiveRouting(f), createdAt: r.created_at, updatedAt: r.updated_at };
}

export function organisationRow(f: OrganisationFields) {
  return {
    ods_code: f.odsCode,
    name: f.name,
    type: f.type,
    region: f.region,
    parent_ods_code: f.parentOdsCode,
    it_support_ods_code: f.itSupportOdsCode,
    routing: f.routing,
    products: f.products,
  };
}

export interface OrganisationFilter {
  type?: OrganisationType | undefined;
  /** Case-insensitive, exact. */
  region?: string | undefined;
  /** Part of the name or the ODS code. */
  search?: string | undefined;
  limit: number;
  offset: number;
}

const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (c) => '\\' + c)}%`;

export async function listOrganisations(
  db: Database | Tx,
  f: OrganisationFilter,
): Promise<{ organisations: OrganisationView[]; total: number }> {
  let q = db.selectFrom('organisations');
  if (f.type) q = q.where('type', '=', f.type);
  const region = f.region?.trim();
  if (region) q = q.where(sql<string>`lower(region)`, '=', region.toLowerCase());
  const search = f.search?.trim();
  if (search) {
    const like = likePattern(search);
    q = q.where((eb) => eb.or([eb('name', 'ilike', like), eb('ods_code', '=', search.toUpperCase())]));
  }
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('name').orderBy('ods_code').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { organisations: rows.map(organisationView), total: Number(count.n) };
}

export async function findOrganisation(db: Database | Tx, odsCode: string): Promise<OrganisationView | undefined> {
  const row = await db.selectFrom('organisations').selectAll().where('ods_code', '=', odsCode.trim().toUpperCase()).executeTakeFirst();
  return row && organisationView(row);
}

export async function getOrganisation(db: Database | Tx, odsCode: string): Promise<OrganisationView> {
  const o = await findOrganisation(db, odsCode);
  if (!o) throw notFound(`Organisation ${odsCode.trim().toUpperCase()}`);
  return o;
}

/** Which of these codes are in the directory. */
export async function existingCodes(db: Database | Tx, codes: readonly string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await db.selectFrom('organisations').select('ods_code').where('ods_code', 'in', [...new Set(codes)]).execute();
  return new Set(rows.map((r) => r.ods_code));
}

/** Serialises every change to parent/support links, so two concurrent edits cannot close a cycle between them. */
export async function lockDirectoryLinks(trx: Tx): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('batsignal.organisation_links'))`.execute(trx);
}

/** Every organisation's links (2,000 rows: small), for cycle checks. */
export async function allLinks(trx: Tx): Promise<Map<string, { parent: string | null; support: string | null }>> {
  const rows = await trx.selectFrom('organisations').select(['ods_code', 'parent_ods_code', 'it_support_ods_code']).execute();
  return new Map(rows.map((r) => [r.ods_code, { parent: r.parent_ods_code, support: r.it_support_ods_code }]));
}

/** A reason when the organisation's links name a missing organisation or close a cycle; null when fine. */
export function linkProblem(
  f: Pick<OrganisationFields, 'odsCode' | 'parentOdsCode' | 'itSupportOdsCode'>,
  links: Map<string, { parent: string | null; support: string | null }>,
): string | null {
  if (f.parentOdsCode && !links.has(f.parentOdsCode)) return `parent_ods_code ${f.parentOdsCode} is not in the directory`;
  if (f.itSupportOdsCode && !links.has(f.itSupportOdsCode)) {
    return `it_support_ods_code ${f.itSupportOdsCode} is not in the directory`;
  }
  const withMe = (code: string, kind: 'parent' | 'support') =>
    code === f.odsCode ? (kind === 'parent' ? f.parentOdsCode : f.itSupportOdsCode) : links.get(code)?.[kind];
  const p = findCycle(f.odsCode, (c) => withMe(c, 'parent'));
  if (p) return `parent_ods_code makes a cycle: ${p.join(' -> ')}`;
  const s = findCycle(f.odsCode, (c) => withMe(c, 'support'));
  if (s) return `it_support_ods_code makes a cycle: ${s.join(' -> ')}`;
  return null;
}

export async function createOrganisation(db: Database, f: OrganisationFields, now: Date): Promise<OrganisationView> {
  return db.transaction().execute(async (trx) => {
    await lockDirectoryLinks(trx);
    const links = await allLinks(trx);
    if (links.has(f.odsCode)) {
      throw new HttpError('ods_code_taken', `Organisation ${f.odsCode} is already in the directory.`);
    }
    links.set(f.odsCode, { parent: f.parentOdsCode, support: f.itSupportOdsCode });
    const problem = linkProblem(f, links);
    if (problem) throw new HttpError('invalid_request', problem);
    const row = await trx
      .insertInto('organisations')
      .values({ ...organisationRow(f), created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return organisationView(row);
  });
}

export type OrganisationPatch = Partial<Omit<OrganisationFields, 'odsCode'>>;

export async function updateOrganisation(
  db: Database,
  odsCode: string,
  p: OrganisationPatch,
  now: Date,
): Promise<OrganisationView> {
  const code = odsCode.trim().toUpperCase();
  return db.transaction().execute(async (trx) => {
    await lockDirectoryLinks(trx);
    const cur = await trx.selectFrom('organisations').selectAll().where('ods_code', '=', code).forUpdate().executeTakeFirst();
    if (!cur) throw notFound(`Organisation ${code}`);
    const merged: OrganisationFields = { ...organisationFields(cur), ...p };
    if (merged.routing === 'via_support' && !merged.itSupportOdsCode) {
      throw new HttpError('invalid_request', 'routing via_support needs an it_support_ods_code');
    }
    if (merged.parentOdsCode === code) throw new HttpError('invalid_request', 'parent_ods_code is the organisation itself');
    if (merged.itSupportOdsCode === code) throw new HttpError('invalid_request', 'it_support_ods_code is the organisation itself');
    const problem = linkProblem(merged, await allLinks(trx));
    if (problem) throw new HttpError('invalid_request', problem);
    const row = await trx
      .updateTable('organisations')
      .set({ ...organisationRow(merged), updated_at: now })
      .where('ods_code', '=', code)
      .returningAll()
      .executeTakeFirstOrThrow();
    return organisationView(row);
  });
}

/** Refused (409) while members or other organisations refer to it: nobody is silently unlinked. */
export async function deleteOrganisation(db: Database, odsCode: string): Promise<void> {
  const code = odsCode.trim().toUpperCase();
  await db.transaction().execute(async (trx) => {
    await lockDirectoryLinks(trx);
    const r = await sql<{ found: boolean; members: number; orgs: number }>`
      SELECT EXISTS (SELECT 1 FROM organisations WHERE ods_code = ${code}) AS found,
             (SELECT count(*)::int FROM members WHERE ods_code = ${code}) AS members,
             (SELECT count(*)::int FROM organisations
               WHERE parent_ods_code = ${code} OR it_support_ods_code = ${code}) AS orgs`.execute(trx);
    const { found, members, orgs } = r.rows[0]!;
    if (!found) throw notFound(`Organisation ${code}`);
    if (members > 0 || orgs > 0) {
      const what = [
        members > 0 ? `${members} member${members === 1 ? '' : 's'}` : '',
        orgs > 0 ? `${orgs} organisation${orgs === 1 ? '' : 's'} (parent or IT support)` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw new HttpError('organisation_in_use', `Organisation ${code} is still referred to by ${what}; move them first.`);
    }
    await trx.deleteFrom('organisations').where('ods_code', '=', code).execute();
  });
}

export interface Contact {
  memberId: number;
  name: string;
  phone: string;
  email: string | null;
  odsCode: string;
  contactRole: ContactRole;
}

/** Members of these organisations with one of these roles who have not opted out, by organisation then name. */
export async function contactsOf(
  db: Database | Tx,
  odsCodes: readonly string[],
  roles: readonly ContactRole[] = ['primary'],
): Promise<Contact[]> {
  if (odsCodes.length === 0 || roles.length === 0) return [];
  const rows = await db
    .selectFrom('members')
    .select(['id', 'name', 'phone', 'email', 'ods_code', 'contact_role'])
    .where('ods_code', 'in', [...new Set(odsCodes)])
    .where('contact_role', 'in', [...roles])
    .where('opted_out', '=', false)
    .orderBy('ods_code')
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    memberId: r.id,
    name: r.name,
    phone: r.phone,
    email: r.email,
    odsCode: r.ods_code!,
    contactRole: r.contact_role,
  }));
}
