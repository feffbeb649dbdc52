// Table types for Kysely, mirroring migrations/. The one source of row shapes in src/.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | T, string | T>;

/** A member's role: admin may ask STATUS of any alert and follow up any alert by text. */
export const ROLES = ['member', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ORGANISATION_TYPES = ['trust', 'gp_practice', 'icb', 'csu', 'local_authority', 'social_care', 'other'] as const;
export type OrganisationType = (typeof ORGANISATION_TYPES)[number];
export const ROUTINGS = ['direct', 'via_support', 'both'] as const;
export type Routing = (typeof ROUTINGS)[number];
export const CONTACT_ROLES = ['primary', 'deputy', 'member'] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];
export const SITUATIONS = ['affected', 'not_affected', 'need_help'] as const;
export type Situation = (typeof SITUATIONS)[number];

/** The directory (migration 100). */
export interface OrganisationsTable {
  ods_code: string; // upper-case, 3-6 letters/digits
  name: string;
  type: OrganisationType;
  region: string | null;
  parent_ods_code: string | null;
  it_support_ods_code: string | null;
  /** null: the default rule (direct, or both when it_support_ods_code is set). */
  routing: Routing | null;
  /** The estate. null: not known; []: known to run none of the products tracked. */
  products: string[] | null;
  /** lower-cased products, maintained by PostgreSQL (GIN-indexed): match with `products_lower && $1`. */
  products_lower: ColumnType<string[] | null, never, never>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** One row per organisation a peer alert concerns; escalated_at: its deputies were sent the alert. */
export interface AlertOrganisationsTable {
  alert_number: number;
  ods_code: string;
  escalated_at: NullableTimestamp;
}

export interface MembersTable {
  id: Generated<number>;
  name: string;
  phone: string;
  email: string | null;
  organisation: Generated<string>;
  role: Generated<Role>;
  forum_username: string | null;
  /** The member's organisation in the directory (migration 100); null: "no organisation". */
  ods_code: ColumnType<string | null, string | null | undefined, string | null>;
  contact_role: Generated<ContactRole>;
  opted_out: Generated<boolean>;
  opted_out_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** When the member replied JOIN to the welcome (migration 500); null: not verified. */
  verified_at: NullableTimestamp;
  /** When the welcome text was last queued (migration 500); null: never sent. */
  welcomed_at: NullableTimestamp;
}

export interface ConversationsTable {
  member_id: number;
  state: Json<unknown>;
  updated_at: Generated<Date>;
}

export type InboundOutcome = 'processed' | 'part' | 'assembled' | 'stranger' | 'ignored';

export interface InboundMessagesTable {
  message_id: string;
  msisdn: string;
  text: string;
  type: string;
  concat_ref: string | null;
  concat_part: number | null;
  concat_total: number | null;
  outcome: InboundOutcome;
  received_at: Generated<Date>;
  /** The SMS provider (number) it came in through; null: Vonage's SMS API before migration 300. */
  provider: Generated<string | null>;
}

export interface StrangerRepliesTable {
  phone: string;
  last_reply_at: Timestamp;
}

export type AlertSource = 'sms' | 'forum' | 'admin';

export interface AlertsTable {
  number: number;
  raised_by: number | null;
  raiser_name: string;
  raiser_org: string;
  summary: string;
  exercise: Generated<boolean>;
  source: AlertSource;
  status: Generated<'open' | 'closed'>;
  recipient_count: Generated<number>;
  forum_topic_id: number | null;
  forum_topic_url: string | null;
  created_at: Generated<Date>;
  closed_at: NullableTimestamp;
  /** 'advisory': a national advisory (migration 200), sharing the alert numbers. */
  kind: Generated<AlertKind>;
  /** The last member id the broadcast has been written for while more may remain; null when complete (migration 800). */
  fanout_after: number | null;
  /** The rest of the fan-out includes the alert's emails (migration 900); only while fanout_after is set. */
  email_fanout: Generated<boolean>;
}

export type AlertKind = 'peer' | 'advisory';

export type Channel = 'sms' | 'email' | 'forum';
export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'held';
/** reply: conversation replies; alert/reminder/update/allclear: alert traffic; welcome: a new member's verification text (migration 500). */
export type OutboxKind = 'reply' | 'alert' | 'reminder' | 'update' | 'allclear' | 'welcome' | AdvisoryOutboxKind;
/** Advisory traffic (migration 200): the advisory itself, the half-window reminder, the deadline escalation. */
export type AdvisoryOutboxKind = 'advisory' | 'advisory_reminder' | 'advisory_escalation';

export interface OutboxTable {
  id: Generated<string>; // bigint comes back from pg as a string
  channel: Channel;
  kind: OutboxKind;
  priority: Generated<number>;
  alert_number: number | null;
  member_id: number | null;
  recipient: string;
  body: string;
  payload: Json<unknown> | null;
  state: Generated<OutboxState>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_until: NullableTimestamp;
  /** When the lease holder handed the row to the provider (migration 600); cleared by each claim. */
  started_at: NullableTimestamp;
  last_error: string | null;
  provider_id: string | null;
  receipt_status: string | null;
  receipt_error: string | null;
  receipt_at: NullableTimestamp;
  created_at: Generated<Date>;
  sent_at: NullableTimestamp;
}

export interface DeliveriesTable {
  alert_number: number;
  member_id: number;
  sms_outbox_id: string | null;
  acked_at: NullableTimestamp;
  reminded_at: NullableTimestamp;
  created_at: Generated<Date>;
  /** The recipient's organisation and role when the alert was sent (migration 100). */
  ods_code: ColumnType<string | null, string | null | undefined, string | null>;
  contact_role: Generated<ContactRole>;
  /** Sent to a held-back deputy because the organisation was not covered in time. */
  escalated: Generated<boolean>;
  /** The member's latest AFFECTED / NOT AFFECTED / NEED HELP answer. */
  situation: ColumnType<Situation | null, Situation | null | undefined, Situation | null>;
  situation_at: NullableTimestamp;
  situation_text: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface RateLimitsTable {
  channel: string;
  next_slot: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: Json<unknown>;
}

export type SimulatorDirection = 'in' | 'out';

/** The demo phone simulator's inboxes (migration 070). */
export interface SimulatorMessagesTable {
  id: Generated<string>; // bigint comes back from pg as a string
  phone: string; // E.164 with '+'
  direction: SimulatorDirection;
  text: string;
  outbox_id: string | null;
  error: string | null;
  created_at: Generated<Date>;
}

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type AdvisoryResponse = 'no_response' | 'acknowledged' | 'affected' | 'not_affected' | 'resolved';
export type AdvisoryAnswer = 'ack' | 'affected' | 'not_affected' | 'resolved' | 'need_help';
export type AdvisoryContactRoute = 'direct' | 'via_support' | 'deputy' | 'own_primary';

/** National advisories (migration 200); number is the alert's. */
export interface AdvisoriesTable {
  number: number;
  title: string;
  body: string;
  severity: Severity;
  target: Json<unknown>;
  window_hours: number | null;
  respond_by: NullableTimestamp;
  remind_at: NullableTimestamp;
  issued_via: 'api' | 'cli' | 'web';
  created_at: Generated<Date>;
}

/** Each organisation an advisory targets, as it was then, and its response. */
export interface AdvisoryOrganisationsTable {
  advisory: number;
  ods_code: string;
  name: string;
  type: string;
  routing: Routing;
  estate_unknown: Generated<boolean>;
  reachable: Generated<boolean>;
  response: Generated<AdvisoryResponse>;
  first_response_at: NullableTimestamp;
  responded_at: NullableTimestamp;
  responded_by: number | null;
  responded_by_name: string | null;
  on_time: boolean | null;
  need_help_at: NullableTimestamp;
  reminded_at: NullableTimestamp;
  escalated_at: NullableTimestamp;
}

/** Who answers for which organisation of an advisory, and how they were reached. */
export interface AdvisoryContactsTable {
  advisory: number;
  member_id: number;
  ods_code: string;
  route: AdvisoryContactRoute;
  added_at: Generated<Date>;
}

/** Every answer, per organisation it counted for. */
export interface AdvisoryAnswersTable {
  id: Generated<string>;
  advisory: number;
  ods_code: string;
  member_id: number | null;
  answer: AdvisoryAnswer;
  response_after: AdvisoryResponse;
  on_time: boolean;
  text: string | null;
  answered_at: Timestamp;
}

/** One SMS provider's shared state (migration 300): src/providers/failover.ts. */
export interface SmsProvidersTable {
  name: string;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  state: Generated<'up' | 'down'>;
  failures: Generated<number>;
  down_since: NullableTimestamp;
  probe_at: NullableTimestamp;
  last_error: string | null;
  last_failure_at: NullableTimestamp;
  last_success_at: NullableTimestamp;
  updated_at: Generated<Date>;
}

/** JWT ids of accepted Messages API webhooks (replay protection, migration 300). */
/** Discourse topic ids the forum webhook has acted on (migration 2026-11-30-100): each is acted on once. */
export interface ForumTopicsSeenTable {
  topic_id: number;
  seen_at: Timestamp;
}

export interface WebhookJtisTable {
  jti: string;
  seen_at: Timestamp;
}

/** A one-time sign-in code texted to an admin (migration 2026-11-30-400); only its hash is kept. */
export interface AdminSigninCodesTable {
  id: Generated<string>;
  member_id: number;
  code_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  failed_attempts: Generated<number>;
  used_at: NullableTimestamp;
  locked_at: NullableTimestamp;
}

/** A signed-in admin's session; the bearer token itself is never stored, only its SHA-256. */
export interface AdminSessionsTable {
  id: Generated<string>;
  token_hash: string;
  member_id: number;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_seen_at: Timestamp;
  revoked_at: NullableTimestamp;
}

/** One change made through the admin API or the pages, with who made it. */
export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  /** 'admin token', or the signed-in admin's name. */
  actor: string;
  actor_member_id: number | null;
  /** METHOD and route pattern, e.g. "PATCH /api/members/:id". */
  action: string;
  /** The route's parameters (the member, alert or organisation changed), if any. */
  target: string | null;
  status: number;
  details: ColumnType<unknown, string | null, string | null>;
}

export interface DB {
  members: MembersTable;
  conversations: ConversationsTable;
  inbound_messages: InboundMessagesTable;
  stranger_replies: StrangerRepliesTable;
  alerts: AlertsTable;
  outbox: OutboxTable;
  deliveries: DeliveriesTable;
  rate_limits: RateLimitsTable;
  settings: SettingsTable;
  simulator_messages: SimulatorMessagesTable;
  organisations: OrganisationsTable;
  alert_organisations: AlertOrganisationsTable;
  advisories: AdvisoriesTable;
  advisory_organisations: AdvisoryOrganisationsTable;
  advisory_contacts: AdvisoryContactsTable;
  advisory_answers: AdvisoryAnswersTable;
  sms_providers: SmsProvidersTable;
  webhook_jtis: WebhookJtisTable;
  forum_topics_seen: ForumTopicsSeenTable;
  admin_signin_codes: AdminSigninCodesTable;
  admin_sessions: AdminSessionsTable;
  audit_log: AuditLogTable;
}

export type Member = Selectable<MembersTable>;
export type NewMember = Insertable<MembersTable>;
export type MemberUpdate = Updateable<MembersTable>;
export type Alert = Selectable<AlertsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type Delivery = Selectable<DeliveriesTable>;
export type Organisation = Selectable<OrganisationsTable>;
export type NewOrganisation = Insertable<OrganisationsTable>;
export type OrganisationUpdate = Updateable<OrganisationsTable>;
