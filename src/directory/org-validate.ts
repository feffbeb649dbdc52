// Organisation fields as people type them (API, CLI, spreadsheet) -> the stored form, or a reason.
// Pure: the HTTP routes, the CLI and the CSV import accept the same things.
import {
  ORGANISATION_TYPES,
  ROUTINGS,
  type OrganisationType,
  type Routing,
} from '../db/schema.js';
import { checkContactRole, hasUnprintable, type Check } from './validate.js';

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const no = (reason: string): Check<never> => ({ ok: false, reason });
const shown = (s: string) => JSON.stringify(s.length > 40 ? s.slice(0, 40) + '...' : s);

/** An organisation as stored. */
export interface OrganisationFields {
  odsCode: string;
  name: string;
  type: OrganisationType;
  region: string | null;
  parentOdsCode: string | null;
  itSupportOdsCode: string | null;
  routing: Routing | null;
  products: string[] | null;
}

export const ODS_CODE = /^[A-Z0-9]{3,6}$/;
export const MAX_PRODUCTS = 200;

/** "rxr10 " -> "RXR10"; 3-6 letters or digits. */
export function checkOdsCode(raw: string, field = 'ods_code'): Check<string> {
  const code = raw.trim().toUpperCase();
  if (code === '') return no(`${field} is empty`);
  if (!ODS_CODE.test(code)) return no(`${field} ${shown(raw.trim())} is not an ODS code (3-6 letters or digits)`);
  return ok(code);
}

/** Blank -> null. */
export function checkOptionalOdsCode(raw: string | null | undefined, field: string): Check<string | null> {
  if (raw === null || raw === undefined || raw.trim() === '') return ok(null);
  return checkOdsCode(raw, field);
}

export function checkOrgName(raw: string): Check<string> {
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name === '') return no('name is empty');
  if (hasUnprintable(name)) return no('name contains control or invalid characters');
  if (name.length > 200) return no('name is longer than 200 characters');
  return ok(name);
}

// "GP practice", "gp-practice", "GP_PRACTICE" are all gp_practice; "CCG" (ICBs' predecessors) is an icb.
const TYPE_ALIASES: Record<string, OrganisationType> = { ccg: 'icb', la: 'local_authority', gp: 'gp_practice' };

export function checkOrgType(raw: string): Check<OrganisationType> {
  const t = raw.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (t === '') return no('type is empty');
  const type = TYPE_ALIASES[t] ?? t;
  if ((ORGANISATION_TYPES as readonly string[]).includes(type)) return ok(type as OrganisationType);
  return no(`type ${shown(raw.trim())} is not one of ${ORGANISATION_TYPES.join(', ')}`);
}

export function checkRegion(raw: string | null | undefined): Check<string | null> {
  const r = (raw ?? '').trim().replace(/\s+/g, ' ');
  if (r === '') return ok(null);
  if (hasUnprintable(r)) return no('region contains control or invalid characters');
  if (r.length > 100) return no('region is longer than 100 characters');
  return ok(r);
}

export function checkRouting(raw: string | null | undefined): Check<Routing | null> {
  const r = (raw ?? '').trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (r === '') return ok(null);
  if ((ROUTINGS as readonly string[]).includes(r)) return ok(r as Routing);
  return no(`routing ${shown((raw ?? '').trim())} is not one of ${ROUTINGS.join(', ')} (or blank)`);
}

/** Product names, trimmed, duplicates (ignoring case) dropped, order kept. */
export function checkProducts(list: readonly string[]): Check<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of list) {
    const p = raw.trim().replace(/\s+/g, ' ');
    if (p === '') continue;
    if (hasUnprintable(p)) return no('a product name contains control or invalid characters');
    if (p.length > 100) return no(`product ${shown(p)} is longer than 100 characters`);
    const key = p.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  if (out.length > MAX_PRODUCTS) return no(`more than ${MAX_PRODUCTS} products`);
  return ok(out);
}

/** The CSV form: "EMIS Web; Windows 10;Docman". Blank -> null (estate not known). */
export function checkProductsCell(raw: string | null | undefined): Check<string[] | null> {
  if (raw === null || raw === undefined || raw.trim() === '') return ok(null);
  return checkProducts(raw.split(';'));
}

export { checkContactRole };

export interface RawOrganisation {
  odsCode: string;
  name: string;
  type: string;
  region?: string | null | undefined;
  parentOdsCode?: string | null | undefined;
  itSupportOdsCode?: string | null | undefined;
  routing?: string | null | undefined;
  /** A list (API) or the CSV cell. */
  products?: string | readonly string[] | null | undefined;
}

/** Every field checked; the first problem is the reason. Links are checked against the directory by the caller. */
export function checkOrganisation(raw: RawOrganisation): Check<OrganisationFields> {
  const odsCode = checkOdsCode(raw.odsCode);
  if (!odsCode.ok) return odsCode;
  const name = checkOrgName(raw.name);
  if (!name.ok) return name;
  const type = checkOrgType(raw.type);
  if (!type.ok) return type;
  const region = checkRegion(raw.region);
  if (!region.ok) return region;
  const parent = checkOptionalOdsCode(raw.parentOdsCode, 'parent_ods_code');
  if (!parent.ok) return parent;
  if (parent.value === odsCode.value) return no('parent_ods_code is the organisation itself');
  const support = checkOptionalOdsCode(raw.itSupportOdsCode, 'it_support_ods_code');
  if (!support.ok) return support;
  if (support.value === odsCode.value) return no('it_support_ods_code is the organisation itself');
  const routing = checkRouting(raw.routing);
  if (!routing.ok) return routing;
  if (routing.value === 'via_support' && support.value === null) {
    return no('routing via_support needs an it_support_ods_code');
  }
  const products =
    raw.products === null || raw.products === undefined
      ? ok(null)
      : typeof raw.products === 'string'
        ? checkProductsCell(raw.products)
        : checkProducts(raw.products);
  if (!products.ok) return products;
  return ok({
    odsCode: odsCode.value,
    name: name.value,
    type: type.value,
    region: region.value,
    parentOdsCode: parent.value,
    itSupportOdsCode: support.value,
    routing: routing.value,
    products: products.value,
  });
}

/** What `routing` means when blank: direct, or both for an organisation with an IT support unit. */
export function effectiveRouting(o: Pick<OrganisationFields, 'routing' | 'itSupportOdsCode'>): Routing {
  return o.routing ?? (o.itSupportOdsCode ? 'both' : 'direct');
}

/**
 * Would these links make a cycle? `links(code)` gives an organisation's current parent and IT
 * support codes (the directory with the proposed rows applied). Follows each kind of link on its
 * own: an organisation may be supported by a unit whose parent is the same ICB, and that is fine.
 * Returns the cycle as codes (first repeated at the end), or null.
 */
export function findCycle(
  start: string,
  next: (code: string) => string | null | undefined,
  limit = 10_000,
): string[] | null {
  const path = [start];
  const seen = new Set([start]);
  let cur = next(start);
  while (cur && path.length <= limit) {
    path.push(cur);
    if (seen.has(cur)) return path.slice(path.indexOf(cur));
    seen.add(cur);
    cur = next(cur);
  }
  return null;
}
