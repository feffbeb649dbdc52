// What admins see of an advisory: each organisation's response and the summary, for
// GET /api/alerts/:n/organisations, its CSV, STATUS by text and the dashboard.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
import type { ResponseState } from './response.js';

export interface AdvisorySummary {
  targeted: number;
  responded: number;
  onTime: number;
  affected: number;
  notAffected: number;
  resolved: number;
  /** No response and the deadline has passed. */
  overdue: number;
  unreachable: number;
  needHelp: number;
  estateUnknown: number;
}

export interface AdvisoryOrganisationRow {
  odsCode: string;
  name: string;
  type: string;
  routing: string;
  estateUnknown: boolean;
  reachable: boolean;
  response: ResponseState;
  respondedAt: Date | null;
  respondedBy: string | null;
  firstResponseAt: Date | null;
  /** null until it responds. */
  onTime: boolean | null;
  overdue: boolean;
  needHelp: boolean;
  remindedAt: Date | null;
  escalatedAt: Date | null;
  /** Who to chase: its contacts for this advisory, with numbers. */
  contacts: { name: string; phone: string; route: string }[];
}

export type AdvisoryFilter = 'all' | 'no_response' | 'overdue' | 'affected' | 'not_affected' | 'resolved' | 'need_help' | 'unreachable' | 'late';

export interface AdvisoryHeader {
  number: number;
  title: string;
  severity: string;
  respondBy: Date | null;
  exercise: boolean;
  createdAt: Date;
  target: unknown;
}

export async function advisoryHeader(db: Database | Tx, n: number): Promise<AdvisoryHeader | null> {
  const r = await sql<AdvisoryHeader>`
    SELECT a.number, a.title, a.severity, a.respond_by AS "respondBy", al.exercise, a.created_at AS "createdAt", a.target
    FROM advisories a JOIN alerts al ON al.number = a.number WHERE a.number = ${n}`.execute(db);
  return r.rows[0] ?? null;
}

export async function advisorySummary(db: Database | Tx, n: number, now: Date): Promise<AdvisorySummary> {
  const r = await sql<AdvisorySummary>`
    SELECT count(*)::int AS targeted,
           (count(*) FILTER (WHERE o.response <> 'no_response'))::int AS responded,
           (count(*) FILTER (WHERE o.on_time))::int AS "onTime",
           (count(*) FILTER (WHERE o.response = 'affected'))::int AS affected,
           (count(*) FILTER (WHERE o.response = 'not_affected'))::int AS "notAffected",
           (count(*) FILTER (WHERE o.response = 'resolved'))::int AS resolved,
           (count(*) FILTER (WHERE o.response = 'no_response' AND a.respond_by <= ${now}))::int AS overdue,
           (count(*) FILTER (WHERE NOT o.reachable))::int AS unreachable,
           (count(*) FILTER (WHERE o.need_help_at IS NOT NULL))::int AS "needHelp",
           (count(*) FILTER (WHERE o.estate_unknown))::int AS "estateUnknown"
    FROM advisory_organisations o JOIN advisories a ON a.number = o.advisory
    WHERE o.advisory = ${n}`.execute(db);
  return r.rows[0]!;
}

const FILTERS: Record<AdvisoryFilter, string> = {
  all: 'true',
  no_response: `o.response = 'no_response'`,
  overdue: 'false', // needs now: built in advisoryOrganisations
  affected: `o.response = 'affected'`,
  not_affected: `o.response = 'not_affected'`,
  resolved: `o.response = 'resolved'`,
  need_help: 'o.need_help_at IS NOT NULL',
  unreachable: 'NOT o.reachable',
  late: 'o.on_time = false',
};
export const ADVISORY_FILTERS = Object.keys(FILTERS) as AdvisoryFilter[];

export async function advisoryOrganisations(db: Database | Tx, n: number, now: Date, filter: AdvisoryFilter = 'all'): Promise<AdvisoryOrganisationRow[]> {
  const where = filter === 'overdue' ? sql`o.response = 'no_response' AND a.respond_by <= ${now}` : sql.raw(FILTERS[filter]);
  const r = await sql<AdvisoryOrganisationRow>`
    SELECT o.ods_code AS "odsCode", o.name, o.type, o.routing, o.estate_unknown AS "estateUnknown", o.reachable,
           o.response, o.responded_at AS "respondedAt", o.responded_by_name AS "respondedBy",
           o.first_response_at AS "firstResponseAt", o.on_time AS "onTime",
           (o.response = 'no_response' AND coalesce(a.respond_by <= ${now}, false)) AS overdue,
           (o.need_help_at IS NOT NULL) AS "needHelp", o.reminded_at AS "remindedAt", o.escalated_at AS "escalatedAt",
           coalesce((SELECT json_agg(json_build_object('name', m.name, 'phone', m.phone, 'route', c.route) ORDER BY c.route, m.name)
                     FROM advisory_contacts c JOIN members m ON m.id = c.member_id
                     WHERE c.advisory = o.advisory AND c.ods_code = o.ods_code), '[]') AS contacts
    FROM advisory_organisations o JOIN advisories a ON a.number = o.advisory
    WHERE o.advisory = ${n} AND ${where}
    ORDER BY (o.response = 'no_response') DESC, o.need_help_at IS NULL, o.name, o.ods_code`.execute(db);
  return r.rows;
}
