// Alert counts in one query per view: correct under concurrent ACKs because they are read, not kept.
import { sql, type RawBuilder } from 'kysely';
import type { Database, Tx } from '../db/connect.js';

export interface AlertCounts {
  number: number;
  status: 'open' | 'closed';
  exercise: boolean;
  /** 'advisory' for a national advisory (src/advisories), 'peer' for a member's alert. */
  kind: 'peer' | 'advisory';
  createdAt: Date;
  closedAt: Date | null;
  summary: string;
  raiserName: string;
  raiserOrg: string;
  source: 'sms' | 'forum' | 'admin';
  forumUrl: string | null;
  recipients: number;
  queued: number; // not yet handed to the provider
  submitted: number; // accepted by the provider, no final receipt yet
  delivered: number;
  failed: number;
  acknowledged: number;
  reminded: number; // reminder texts queued (at most one per recipient)
  lastAckAt: Date | null;
  recipientsOptedOut: number; // recipients of this alert who have opted out since
  optedOut: number; // members opted out now, network-wide
}

// `alerts` is the set of alert rows to count for: aggregates are computed only for those
// (a page of the list, or one alert), not for every alert ever raised.
const select = (alerts: RawBuilder<unknown>) => sql`
  SELECT a.number, a.status, a.exercise, a.kind, a.created_at AS "createdAt", a.closed_at AS "closedAt",
    a.summary, a.raiser_name AS "raiserName", a.raiser_org AS "raiserOrg", a.source,
    a.forum_topic_url AS "forumUrl",
    count(d.member_id)::int AS recipients,
    count(*) FILTER (WHERE o.state IN ('pending', 'sending', 'held'))::int AS queued,
    count(*) FILTER (WHERE o.state = 'sent' AND (o.receipt_status IS NULL OR o.receipt_status IN ('accepted', 'buffered', 'unknown')))::int AS submitted,
    count(*) FILTER (WHERE o.receipt_status = 'delivered')::int AS delivered,
    count(*) FILTER (WHERE o.state = 'failed' OR o.receipt_status IN ('failed', 'rejected', 'expired'))::int AS failed,
    count(d.acked_at)::int AS acknowledged,
    count(d.reminded_at)::int AS reminded,
    max(d.acked_at) AS "lastAckAt",
    count(*) FILTER (WHERE m.opted_out)::int AS "recipientsOptedOut",
    (SELECT count(*)::int FROM members WHERE opted_out) AS "optedOut"
  FROM (${alerts}) a
  LEFT JOIN deliveries d ON d.alert_number = a.number
  LEFT JOIN outbox o ON o.id = d.sms_outbox_id
  LEFT JOIN members m ON m.id = d.member_id
  GROUP BY a.number, a.status, a.exercise, a.kind, a.created_at, a.closed_at, a.summary, a.raiser_name,
    a.raiser_org, a.source, a.forum_topic_url`;

export async function alertCounts(db: Database | Tx, number: number): Promise<AlertCounts | undefined> {
  const r = await sql<AlertCounts>`${select(sql`SELECT * FROM alerts WHERE number = ${number}`)}`.execute(db);
  return r.rows[0];
}

/** Newest first. */
export async function allAlertCounts(db: Database | Tx, limit = 100, offset = 0): Promise<AlertCounts[]> {
  const page = sql`SELECT * FROM alerts ORDER BY number DESC LIMIT ${limit} OFFSET ${offset}`;
  const r = await sql<AlertCounts>`${select(page)} ORDER BY a.number DESC`.execute(db);
  return r.rows;
}
