// The JSON the page scripts read (src/alerts/schemas.ts, src/members/schemas.ts, src/web/simulator.ts).
import type { Role } from '../../db/schema.js';
export interface Counts {
  recipients: number;
  delivered: number;
  failed: number;
  pending: number;
  acknowledged: number;
  unacknowledged: number;
  reminded: number;
  optedOut: number;
  [k: string]: number;
}
export interface AlertSummary {
  number: number;
  summary: string;
  exercise: boolean;
  kind?: 'peer' | 'advisory';
  status: 'open' | 'closed';
  source: string;
  createdAt: string;
  closedAt: string | null;
  lastAckAt: string | null;
  forumUrl: string | null;
  raiser: { name: string; organisation: string };
  counts: Counts;
}
export interface AlertList {
  alerts: AlertSummary[];
  optedOutMembers: number;
}
export interface AlertDetail extends AlertSummary {
  optedOutMembers: number;
}
export interface Recipient {
  memberId: number;
  name: string;
  organisation: string;
  phone: string;
  deliveryState: string;
  receiptError: string | null;
  remindedAt: string | null;
  optedOut: boolean;
}
export interface RecipientPage {
  /** Rows on this page. */
  count: number;
  /** Rows matching, on every page. */
  total: number;
  limit: number;
  offset: number;
  recipients: Recipient[];
}
export interface OptOutPage {
  count: number;
  total: number;
  limit: number;
  offset: number;
  members: { memberId: number; name: string; organisation: string; phone: string; optedOutAt: string | null }[];
}
export interface SimPhone {
  memberId: number;
  name: string;
  organisation: string;
  role: Role;
  phone: string;
  optedOut: boolean;
}
export interface SimMessage {
  id: string;
  phone: string;
  from: 'phone' | 'batsignal';
  text: string;
  error: string | null;
  at: string;
}
export interface Member {
  id: number;
  name: string;
  phone: string;
  email: string | null;
  organisation: string;
  role: Role;
  forumUsername: string | null;
  optedOut: boolean;
  optedOutAt: string | null;
  createdAt: string;
  updatedAt: string;
  verifiedAt: string | null;
  welcomedAt: string | null;
  lastText: { outcome: 'delivered' | 'failed'; at: string; error: string | null } | null;
}
export interface MemberPage {
  members: Member[];
  total: number;
  limit: number;
  offset: number;
}
export interface ImportReport {
  added: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rows: { row: number; outcome: 'added' | 'updated' | 'unchanged' | 'rejected'; phone?: string; id?: number; reason?: string }[];
}
export interface CoverageContact {
  memberId: number;
  name: string;
  phone: string;
  contactRole: 'primary' | 'deputy' | 'member';
  optedOut: boolean;
}
export interface OrganisationCoverage {
  odsCode: string;
  name: string | null;
  type: string | null;
  region: string | null;
  recipients: number;
  delivered: number;
  acknowledged: number;
  covered: boolean;
  situation: 'need_help' | 'affected' | 'not_affected' | 'unknown';
  needHelp: number;
  affected: number;
  notAffected: number;
  deputiesHeld: number;
  escalatedAt: string | null;
  lastAckAt: string | null;
  contacts?: CoverageContact[];
}
export interface CoverageSummary {
  targeted: number;
  covered: number;
  uncovered: number;
  needHelp: number;
  affected: number;
  notAffected: number;
  escalated: number;
  noOrganisation: { recipients: number; acknowledged: number };
}
export interface CoverageList {
  alert: number;
  state: string;
  count: number;
  organisations: OrganisationCoverage[];
  summary: CoverageSummary;
}
