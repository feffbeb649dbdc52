// Which organisations an advisory is for. Pure: the rule as a predicate (tests, the dry run's
// explanation) and the request's target validated into one shape. The SQL in resolve.ts applies the
// same rule set-based; test/advisories-resolve.test.ts checks the two agree on random directories.
//
// Criteria combine with AND, the values within one with OR. Products match case-insensitively
// (trimmed); an organisation with no product list (NULL, not an empty list: that one runs none)
// is included and flagged estateUnknown. An empty
// target is an error: an advisory to nobody is a mistake, and to everybody must be said ({"all": true}).

import { ORGANISATION_TYPES, type OrganisationType } from '../db/schema.js';

/** The directory's organisation types (one list: src/db/schema.ts). */
export const ORG_TYPES = ORGANISATION_TYPES;
export type OrgType = OrganisationType;

export interface Target {
  all: boolean;
  types: OrgType[];
  regions: string[];
  odsCodes: string[];
  products: string[];
}

/** An organisation as targeting sees it. */
export interface TargetableOrg {
  odsCode: string;
  type: string;
  region: string | null;
  /** null: no product list recorded (estate unknown); []: known to run none of the products tracked. */
  products: readonly string[] | null;
}

export interface TargetMatch {
  included: boolean;
  /** Included only because its estate is unknown (the target named products, the org lists none). */
  estateUnknown: boolean;
}

export const ODS_CODE = /^[A-Z0-9]{3,6}$/;
const MAX_VALUES = 10_000; // odsCodes may list a whole region's practices; more is a mistake
const MAX_VALUE_CHARS = 200;

/** A target's product or region as compared: trimmed, lower case (the organisation's side: lower case, as stored). */
export const matchKey = (s: string): string => s.trim().toLowerCase();

export function matchTarget(org: TargetableOrg, t: Target): TargetMatch {
  if (t.all) return { included: true, estateUnknown: false };
  if (t.types.length > 0 && !t.types.includes(org.type as OrgType)) return { included: false, estateUnknown: false };
  if (t.regions.length > 0) {
    const region = org.region === null ? null : org.region.toLowerCase();
    if (region === null || !t.regions.some((r) => matchKey(r) === region)) return { included: false, estateUnknown: false };
  }
  if (t.odsCodes.length > 0 && !t.odsCodes.includes(org.odsCode.toUpperCase())) return { included: false, estateUnknown: false };
  if (t.products.length > 0) {
    if (org.products === null) return { included: true, estateUnknown: true };
    const wanted = new Set(t.products.map(matchKey));
    if (!org.products.some((p) => wanted.has(p.toLowerCase()))) return { included: false, estateUnknown: false };
  }
  return { included: true, estateUnknown: false };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

const KEYS = new Set(['all', 'types', 'regions', 'odsCodes', 'products']);

function stringList(v: unknown, name: string, problems: string[]): string[] {
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) {
    problems.push(`target.${name} must be a list of strings`);
    return [];
  }
  if (list.length > MAX_VALUES) problems.push(`target.${name} has ${list.length} values; at most ${MAX_VALUES}`);
  const out: string[] = [];
  for (const x of list) {
    if (typeof x !== 'string' || x.trim() === '' || x.length > MAX_VALUE_CHARS || /[\p{Cc}\p{Cs}]/u.test(x)) {
      problems.push(`target.${name} must hold non-empty strings of at most ${MAX_VALUE_CHARS} characters: ${JSON.stringify(x)?.slice(0, 60)}`);
      continue;
    }
    out.push(x.trim());
  }
  if (Array.isArray(list) && list.length === 0) problems.push(`target.${name} is an empty list: leave it out, or name at least one`);
  return [...new Set(out)];
}

/** The request's "target", or what is wrong with it (every problem, in words an admin can act on). */
export function parseTarget(v: unknown): Parsed<Target> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { ok: false, problems: ['target must be an object: {"types": [...], "regions": [...], "odsCodes": [...], "products": [...]} or {"all": true}'] };
  }
  const o = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(o)) if (!KEYS.has(k)) problems.push(`target.${k} is not a criterion; use types, regions, odsCodes, products or all`);
  if (o.all !== undefined && typeof o.all !== 'boolean') problems.push('target.all must be true or false');
  const all = o.all === true;

  const typeNames = stringList(o.types, 'types', problems);
  const types: OrgType[] = [];
  for (const t of typeNames) {
    const key = t.toLowerCase();
    if ((ORG_TYPES as readonly string[]).includes(key)) types.push(key as OrgType);
    else problems.push(`unknown organisation type "${t}"; known types: ${ORG_TYPES.join(', ')}`);
  }
  const regions = stringList(o.regions, 'regions', problems);
  const odsCodes = stringList(o.odsCodes, 'odsCodes', problems).map((c) => c.toUpperCase());
  for (const c of odsCodes) if (!ODS_CODE.test(c)) problems.push(`"${c}" is not an ODS code (3 to 6 letters or digits)`);
  const products = stringList(o.products, 'products', problems);

  const criteria = ['types', 'regions', 'odsCodes', 'products'].filter((k) => o[k] !== undefined);
  if (all && criteria.length > 0) problems.push(`target.all cannot be combined with ${criteria.join(', ')}: say all, or name criteria`);
  if (!all && criteria.length === 0 && problems.length === 0) {
    problems.push('target is empty: an advisory to nobody is an error. Name types, regions, odsCodes or products, or send {"all": true} for every organisation');
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { all, types: [...new Set(types)], regions, odsCodes: [...new Set(odsCodes)], products } };
}

/** "type trust AND product Juniper ScreenOS": the target in words, for replies and the dashboard. */
export function describeTarget(t: Target): string {
  if (t.all) return 'every organisation';
  const part = (name: string, values: string[]) => (values.length === 0 ? null : `${name} ${values.length > 5 ? `${values.slice(0, 5).join(' or ')} or ${values.length - 5} more` : values.join(' or ')}`);
  return [part('type', t.types), part('region', t.regions), part('ODS code', t.odsCodes), part('product', t.products)]
    .filter((x): x is string => x !== null)
    .join(' AND ');
}
