// Coverage of a peer alert by organisation: who it went to, grouped by the recipient's
// organisation when it was sent; covered = at least one acknowledgement; the organisation's
// situation is the most serious latest answer of its members (need help > affected > not affected).
// Read, not kept: one query, correct under concurrent ACKs.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
import type { ContactRole, OrganisationType } from '../db/schema.js';

export type OrgSituation = 'need_help' | 'affected' | 'not_affected' | 'unknown';
export const COVERAGE_STATES = ['all', 'covered', 'uncovered', 'need_help', 'affected', 'not_affected', 'unknown'] as const;
export type CoverageState = (typeof COVERAGE_STATES)[number];

export interface OrganisationCoverage {
  odsCode: string;
  /** null when the organisation has since been deleted from the directory. */
  name: string | null;
  type: OrganisationType | null;
  region: string | null;
  recipients: number;
  delivered: number;
  acknowledged: number;
  covered: boolean;
  situation: OrgSituation;
  needHelp: number;
  affected: number;
  notAffected: number;
  /** Deputies held back at broadcast and not sent the alert (yet). */
  deputiesHeld: number;
  escalatedAt: Date | null;
  lastAckAt: Date | null;
}

export interface CoverageSummary {
  /** Organisations the alert concerns. */
  targeted: number;
  covered: number;
  uncovered: number;
  needHelp: number;
  affected: number;
  notAffected: number;
  escalated: number;
  /** Recipients with no organisation in the directory. */
  noOrganisation: { recipients: number; acknowledged: number };
}

type Row = Omit<OrganisationCoverage, 'odsCode' | 'covered' | 'situation'> & { ods: string | null };

const SITUATION: OrgSituation[] = ['unknown', 'not_affected', 'affected', 'need_help'];

// Per organisation, aggregated from this alert's deliveries first (one index range of the
// deliveries primary key), then joined to the directory: ~10,000 deliveries, 2,000 groups.
const perOrganisation = (alert: number) => sql<Row>`
  WITH per AS (
    SELECT d.ods_code,
           count(*)::int AS recipients,
           count(*) FILTER (WHERE o.receipt_status = 'delivered')::int AS delivered,
           count(d.acked_at)::int AS acknowledged,
           count(*) FILTER (WHERE d.situation = 'need_help')::int AS need_help,
           count(*) FILTER (WHERE d.situation = 'affected')::int AS affected,
           count(*) FILTER (WHERE d.situation = 'not_affected')::int AS not_affected,
           max(d.acked_at) AS last_ack
    FROM deliveries d
    LEFT JOIN outbox o ON o.id = d.sms_outbox_id
    WHERE d.alert_number = ${alert}
    GROUP BY d.ods_code
  ), held AS (
    SELECT m.ods_code, count(*)::int AS n
    FROM members m
    JOIN alert_organisations ao ON ao.alert_number = ${alert} AND ao.ods_code = m.ods_code
    WHERE m.contact_role = 'deputy' AND NOT m.opted_out
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_number = ${alert} AND d.member_id = m.id)
    GROUP BY m.ods_code
  )
  SELECT coalesce(ao.ods_code, per.ods_code) AS ods,
         org.name, org.type, org.region,
         coalesce(per.recipients, 0) AS recipients,
         coalesce(per.delivered, 0) AS delivered,
         coalesce(per.acknowledged, 0) AS acknowledged,
         coalesce(per.need_help, 0) AS "needHelp",
         coalesce(per.affected, 0) AS affected,
         coalesce(per.not_affected, 0) AS "notAffected",
         coalesce(held.n, 0) AS "deputiesHeld",
         ao.escalated_at AS "escalatedAt",
         per.last_ack AS "lastAckAt"
  FROM (SELECT * FROM alert_organisations WHERE alert_number = ${alert}) ao
  FULL JOIN per ON per.ods_code = ao.ods_code
  LEFT JOIN organisations org ON org.ods_code = coalesce(ao.ods_code, per.ods_code)
  LEFT JOIN held ON held.ods_code = ao.ods_code`;

export interface AlertCoverage {
  organisations: OrganisationCoverage[];
  summary: CoverageSummary;
}

function situationOf(r: { needHelp: number; affected: number; notAffected: number }): OrgSituation {
  return SITUATION[r.needHelp > 0 ? 3 : r.affected > 0 ? 2 : r.notAffected > 0 ? 1 : 0]!;
}

/** Every organisation of the alert (sorted by name) and the summary; undefined when there is no such alert. */
export async function alertCoverage(db: Database | Tx, alert: number): Promise<AlertCoverage | undefined> {
  const [exists, rows] = await Promise.all([
    db.selectFrom('alerts').select('number').where('number', '=', alert).executeTakeFirst(),
    perOrganisation(alert).execute(db),
  ]);
  if (!exists) return undefined;
  const organisations: OrganisationCoverage[] = [];
  const noOrganisation = { recipients: 0, acknowledged: 0 };
  for (const r of rows.rows) {
    if (r.ods === null) {
      noOrganisation.recipients = r.recipients;
      noOrganisation.acknowledged = r.acknowledged;
      continue;
    }
    organisations.push({
      odsCode: r.ods,
      name: r.name,
      type: r.type,
      region: r.region,
      recipients: r.recipients,
      delivered: r.delivered,
      acknowledged: r.acknowledged,
      covered: r.acknowledged > 0,
      situation: situationOf(r),
      needHelp: r.needHelp,
      affected: r.affected,
      notAffected: r.notAffected,
      deputiesHeld: r.deputiesHeld,
      escalatedAt: r.escalatedAt,
      lastAckAt: r.lastAckAt,
    });
  }
  organisations.sort((a, b) => (a.name ?? a.odsCode).localeCompare(b.name ?? b.odsCode) || a.odsCode.localeCompare(b.odsCode));
  return { organisations, summary: summarise(organisations, noOrganisation) };
}

export function summarise(orgs: readonly OrganisationCoverage[], noOrganisation: CoverageSummary['noOrganisation']): CoverageSummary {
  const count = (f: (o: OrganisationCoverage) => boolean) => orgs.reduce((n, o) => n + (f(o) ? 1 : 0), 0);
  return {
    targeted: orgs.length,
    covered: count((o) => o.covered),
    uncovered: count((o) => !o.covered),
    needHelp: count((o) => o.situation === 'need_help'),
    affected: count((o) => o.situation === 'affected'),
    notAffected: count((o) => o.situation === 'not_affected'),
    escalated: count((o) => o.escalatedAt !== null),
    noOrganisation,
  };
}

/** The summary alone (GET /api/alerts/:n, STATUS by text). */
export async function coverageSummary(db: Database | Tx, alert: number): Promise<CoverageSummary | undefined> {
  return (await alertCoverage(db, alert))?.summary;
}

export function filterCoverage(orgs: readonly OrganisationCoverage[], state: CoverageState): OrganisationCoverage[] {
  switch (state) {
    case 'all':
      return [...orgs];
    case 'covered':
      return orgs.filter((o) => o.covered);
    case 'uncovered':
      return orgs.filter((o) => !o.covered);
    default:
      return orgs.filter((o) => o.situation === state);
  }
}

export interface CoverageContact {
  odsCode: string;
  memberId: number;
  name: string;
  phone: string;
  contactRole: ContactRole;
  optedOut: boolean;
}

const CONTACTS_PER_ORG = 5;

/**
 * Who to phone at these organisations: primary contacts, then deputies, then other members, at
 * most five each. Opted-out members are listed too: STOP is about texts, not phone calls.
 */
export async function contactsToCall(db: Database | Tx, odsCodes: readonly string[]): Promise<Map<string, CoverageContact[]>> {
  const out = new Map<string, CoverageContact[]>();
  if (odsCodes.length === 0) return out;
  const r = await sql<CoverageContact>`
    SELECT "odsCode", "memberId", name, phone, "contactRole", "optedOut" FROM (
      SELECT m.ods_code AS "odsCode", m.id AS "memberId", m.name, m.phone, m.contact_role AS "contactRole",
             m.opted_out AS "optedOut",
             row_number() OVER (PARTITION BY m.ods_code
               ORDER BY CASE m.contact_role WHEN 'primary' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, m.name, m.id) AS k
      FROM members m WHERE m.ods_code = ANY(${[...new Set(odsCodes)]}::text[])
    ) x WHERE k <= ${CONTACTS_PER_ORG}
    ORDER BY "odsCode", k`.execute(db);
  for (const c of r.rows) {
    const list = out.get(c.odsCode) ?? [];
    list.push(c);
    out.set(c.odsCode, list);
  }
  return out;
}
