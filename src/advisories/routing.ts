// Who an advisory reaches for each organisation. Pure: the rule, for tests and as the
// specification of the SQL in resolve.ts (which applies it set-based; a property test compares).
//
// direct      -> the organisation's primary contacts
// via_support -> the primary contacts of its IT support unit (it_support_ods_code)
// both        -> both
// No policy recorded: direct, or both for an organisation that has an IT support unit.
// An organisation with no reachable contact is unreachable: listed, never silently skipped.

export type Routing = 'direct' | 'via_support' | 'both';
export type Route = 'direct' | 'via_support';

export interface RoutableOrg {
  odsCode: string;
  routing: Routing | null;
  itSupportOdsCode: string | null;
}

export function effectiveRouting(org: RoutableOrg): Routing {
  if (org.routing !== null) return org.routing;
  return org.itSupportOdsCode !== null ? 'both' : 'direct';
}

export interface RoutedContact {
  memberId: number;
  route: Route;
}

export interface RoutedOrg {
  odsCode: string;
  routing: Routing;
  contacts: RoutedContact[];
  reachable: boolean;
}

export interface Routed {
  organisations: RoutedOrg[];
  /** Each contact once, with the organisations they answer for (in target order). */
  contacts: Map<number, string[]>;
  unreachable: string[];
}

/**
 * `primaries`: reachable primary contacts (member ids) by ODS code. A contact who is a primary
 * both of the organisation and of its support unit is listed once, as direct.
 */
export function routeAdvisory(orgs: readonly RoutableOrg[], primaries: ReadonlyMap<string, readonly number[]>): Routed {
  const organisations: RoutedOrg[] = [];
  const contacts = new Map<number, string[]>();
  const unreachable: string[] = [];
  for (const org of orgs) {
    const routing = effectiveRouting(org);
    const seen = new Set<number>();
    const list: RoutedContact[] = [];
    const add = (ids: readonly number[] | undefined, route: Route) => {
      for (const id of ids ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        list.push({ memberId: id, route });
      }
    };
    if (routing !== 'via_support') add(primaries.get(org.odsCode), 'direct');
    if (routing !== 'direct' && org.itSupportOdsCode !== null) add(primaries.get(org.itSupportOdsCode), 'via_support');
    for (const c of list) {
      const mine = contacts.get(c.memberId);
      if (mine) mine.push(org.odsCode);
      else contacts.set(c.memberId, [org.odsCode]);
    }
    if (list.length === 0) unreachable.push(org.odsCode);
    organisations.push({ odsCode: org.odsCode, routing, contacts: list, reachable: list.length > 0 });
  }
  return { organisations, contacts, unreachable };
}
