// Alert counts in one query per view: correct under concurrent ACKs because they are read, not kept.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';

export interface AlertCounts {
  number: number;
  status: 'open' | 'closed';
  exercise: boolean;
  createdAt: Date;
  closedAt: Date | null;
  recipients: number;
  queued: number; // not yet handed to the provider
  submitted: number; // accepted by the provider, no final receipt yet
  delivered: number;
  failed: number;
  acknowledged: number;
  optedOut: number; // members opted out now, network-wide
}

const select = sql`
  SELECT a.number, a.status, a.exercise, a.created_at AS "createdAt", a.closed_at AS "closedAt",
    count(d.member_id)::int AS recipients,
    count(*) FILTER (WHERE o.state IN ('pending', 'sending', 'held'))::int AS queued,
    count(*) FILTER (WHERE o.state = 'sent' AND (o.receipt_status IS NULL OR o.receipt_status IN ('accepted', 'buffered', 'unknown')))::int AS submitted,
    count(*) FILTER (WHERE o.receipt_status = 'delivered')::int AS delivered,
    count(*) FILTER (WHERE o.state = 'failed' OR o.receipt_status IN ('failed', 'rejected', 'expired'))::int AS failed,
    count(d.acked_at)::int AS acknowledged,
    (SELECT count(*)::int FROM members WHERE opted_out) AS "optedOut"
  FROM alerts a
  LEFT JOIN deliveries d ON d.alert_number = a.number
  LEFT JOIN outbox o ON o.id = d.sms_outbox_id`;

export async function alertCounts(db: Database | Tx, number: number): Promise<AlertCounts | undefined> {
  const r = await sql<AlertCounts>`${select} WHERE a.number = ${number} GROUP BY a.number`.execute(db);
  return r.rows[0];
}

/** Newest first. */
export async function allAlertCounts(db: Database | Tx, limit = 100, offset = 0): Promise<AlertCounts[]> {
  const r = await sql<AlertCounts>`${select} GROUP BY a.number ORDER BY a.number DESC LIMIT ${limit} OFFSET ${offset}`.execute(db);
  return r.rows;
}
