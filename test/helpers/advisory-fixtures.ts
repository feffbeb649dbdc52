// A small directory for advisory tests and the benchmark: organisations and their contacts,
// written straight into the tables (the directory's own import is tested in its files).
import { sql } from 'kysely';
import type { Database } from '../../src/db/connect.js';
import { testPhone } from './alert-fixtures.js';

export interface OrgSpec {
  odsCode: string;
  name?: string;
  type?: string;
  region?: string | null;
  itSupport?: string | null;
  routing?: 'direct' | 'via_support' | 'both' | null;
  products?: string[] | null;
}

export interface ContactSpec {
  name: string;
  odsCode: string | null;
  role?: 'primary' | 'deputy' | 'member';
  phone?: string;
  email?: string | null;
  admin?: boolean;
  optedOut?: boolean;
}

export async function addOrganisations(db: Database, orgs: OrgSpec[]): Promise<void> {
  for (let i = 0; i < orgs.length; i += 2000) {
    const rows = orgs.slice(i, i + 2000).map((o) => ({
      ods_code: o.odsCode,
      name: o.name ?? `Organisation ${o.odsCode}`,
      type: o.type ?? 'trust',
      region: o.region ?? null,
      it_support: o.itSupport ?? null,
      routing: o.routing ?? null,
      products: o.products ?? null,
    }));
    await sql`
      INSERT INTO organisations (ods_code, name, type, region, it_support_ods_code, routing, products)
      SELECT ods_code, name, type, region, it_support, routing,
             CASE WHEN products IS NULL OR jsonb_typeof(products) = 'null' THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(products)) END
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS x(ods_code text, name text, type text, region text, it_support text, routing text, products jsonb)`.execute(db);
  }
}

let phoneSeq = 5000;

/** Adds members; returns their ids in order. */
export async function addContacts(db: Database, contacts: ContactSpec[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < contacts.length; i += 2000) {
    const part = contacts.slice(i, i + 2000);
    const rows = await db
      .insertInto('members')
      .values(
        part.map((c) => ({
          name: c.name,
          phone: c.phone ?? testPhone(phoneSeq++),
          email: c.email ?? null,
          organisation: c.odsCode ?? '',
          role: c.admin ? ('admin' as const) : ('member' as const),
          ods_code: c.odsCode,
          contact_role: c.role ?? 'primary',
          opted_out: c.optedOut ?? false,
        })),
      )
      .returning('id')
      .execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}
