// Targeting and routing in SQL, set-based: the rules of target.ts and routing.ts as two CTEs that
// both the dry run (a SELECT) and the real issue (INSERT ... SELECT) use, so a preview shows exactly
// what sending would do. 7,500 organisations and 10,000 contacts resolve in one statement
// (bench/advisories.bench.ts).
import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/connect.js';
import { matchKey, type Target } from './target.js';
import type { Route, Routing } from './routing.js';

/** The WHERE clause over organisations o for a target (AND across criteria, OR within one). */
function targetCondition(t: Target): RawBuilder<unknown> {
  if (t.all) return sql`true`;
  const parts: RawBuilder<unknown>[] = [];
  if (t.types.length > 0) parts.push(sql`o.type = ANY(${t.types}::text[])`);
  if (t.regions.length > 0) parts.push(sql`lower(o.region) = ANY(${t.regions.map(matchKey)}::text[])`);
  if (t.odsCodes.length > 0) parts.push(sql`o.ods_code = ANY(${t.odsCodes}::text[])`);
  // products_lower is lower(product), GIN-indexed (migration 100); NULL: estate unknown, included.
  if (t.products.length > 0) parts.push(sql`(o.products IS NULL OR o.products_lower && ${t.products.map(matchKey)}::text[])`);
  return sql.join(parts, sql` AND `);
}

/**
 * `t`: targeted organisations with their routing (the default rule applied) and estate flag.
 * `c`: each organisation's contacts: its primaries unless via_support, its IT support unit's
 * primaries unless direct; a member listed once per organisation (direct preferred). A contact is
 * reachable by text unless opted out, or by email when `email` is on and they have an address.
 */
export function resolutionCtes(target: Target, email: boolean): RawBuilder<unknown> {
  const products = target.products.length > 0;
  return sql`
    t AS (
      SELECT o.ods_code, o.name, o.type, o.it_support_ods_code,
             coalesce(o.routing, CASE WHEN o.it_support_ods_code IS NOT NULL THEN 'both' ELSE 'direct' END) AS routing,
             (${products}::boolean AND o.products IS NULL) AS estate_unknown
      FROM organisations o
      WHERE ${targetCondition(target)}
    ), c AS (
      SELECT DISTINCT ON (t.ods_code, m.id) t.ods_code, m.id AS member_id, r.route
      FROM t
      CROSS JOIN LATERAL (VALUES ('direct', t.ods_code), ('via_support', t.it_support_ods_code)) AS r(route, via)
      JOIN members m ON m.ods_code = r.via AND m.contact_role = 'primary'
      WHERE ((r.route = 'direct' AND t.routing <> 'via_support') OR (r.route = 'via_support' AND t.routing <> 'direct'))
        AND (NOT m.opted_out OR (${email}::boolean AND m.email IS NOT NULL AND btrim(m.email) <> ''))
      ORDER BY t.ods_code, m.id, (r.route = 'direct') DESC
    )`;
}

export interface PreviewContact {
  memberId: number;
  name: string;
  phone: string;
  /** The contact's own organisation (the support unit's, when routed via_support). */
  odsCode: string | null;
  route: Route;
}

export interface PreviewOrganisation {
  odsCode: string;
  name: string;
  type: string;
  routing: Routing;
  estateUnknown: boolean;
  reachable: boolean;
  contacts: PreviewContact[];
}

/** The dry run: every targeted organisation and the contacts it would be reached through. Reads only. */
export async function previewTargets(trx: Tx, target: Target, email: boolean): Promise<PreviewOrganisation[]> {
  const r = await sql<{ ods_code: string; name: string; type: string; routing: Routing; estate_unknown: boolean; contacts: PreviewContact[] }>`
    WITH ${resolutionCtes(target, email)}
    SELECT t.ods_code, t.name, t.type, t.routing, t.estate_unknown,
           coalesce(json_agg(json_build_object('memberId', m.id, 'name', m.name, 'phone', m.phone, 'odsCode', m.ods_code, 'route', c.route)
                             ORDER BY c.route, m.name, m.id) FILTER (WHERE m.id IS NOT NULL), '[]') AS contacts
    FROM t
    LEFT JOIN c ON c.ods_code = t.ods_code
    LEFT JOIN members m ON m.id = c.member_id
    GROUP BY t.ods_code, t.name, t.type, t.routing, t.estate_unknown
    ORDER BY t.ods_code`.execute(trx);
  return r.rows.map((row) => ({
    odsCode: row.ods_code,
    name: row.name,
    type: row.type,
    routing: row.routing,
    estateUnknown: row.estate_unknown,
    reachable: row.contacts.length > 0,
    contacts: row.contacts,
  }));
}

/** ODS codes the target names that the directory does not hold (an error: a typo would reach nobody silently). */
export async function unknownOdsCodes(trx: Tx, target: Target): Promise<string[]> {
  if (target.odsCodes.length === 0) return [];
  const r = await sql<{ code: string }>`
    SELECT code FROM unnest(${target.odsCodes}::text[]) AS x(code)
    WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.ods_code = x.code)
    ORDER BY code`.execute(trx);
  return r.rows.map((x) => x.code);
}
