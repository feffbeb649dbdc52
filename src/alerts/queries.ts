// Read models for admins: who received an alert and where each text stands, and who has opted out.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';

export const RECIPIENT_FILTERS = ['unacknowledged', 'acknowledged', 'failed', 'delivered', 'pending', 'all'] as const;
export type RecipientFilter = (typeof RECIPIENT_FILTERS)[number];

/** queued: not yet with the provider; submitted: provider accepted it, no final receipt yet. */
export type DeliveryState = 'queued' | 'submitted' | 'delivered' | 'failed';

export interface Recipient {
  memberId: number;
  name: string;
  organisation: string;
  phone: string;
  optedOut: boolean;
  deliveryState: DeliveryState;
  receiptError: string | null;
  ackedAt: Date | null;
  remindedAt: Date | null;
}

// Same classification as counts.ts, so a filtered list always matches its count.
const deliveryState = sql<DeliveryState>`CASE
    WHEN o.receipt_status = 'delivered' THEN 'delivered'
    WHEN o.state = 'failed' OR o.receipt_status IN ('failed', 'rejected', 'expired') THEN 'failed'
    WHEN o.state = 'sent' THEN 'submitted'
    ELSE 'queued' END`;

const filterSql: Record<RecipientFilter, ReturnType<typeof sql>> = {
  all: sql`true`,
  unacknowledged: sql`d.acked_at IS NULL`,
  acknowledged: sql`d.acked_at IS NOT NULL`,
  delivered: sql`o.receipt_status = 'delivered'`,
  failed: sql`(o.state = 'failed' OR o.receipt_status IN ('failed', 'rejected', 'expired'))`,
  pending: sql`(o.id IS NULL OR (o.state <> 'failed' AND (o.receipt_status IS NULL OR o.receipt_status IN ('accepted', 'buffered', 'unknown'))))`,
};

/**
 * Recipients of alert `number` matching `filter`, by organisation then name; undefined when
 * there is no such alert. One statement: the alert row anchors a LEFT JOIN, so an alert with
 * no matching recipients still answers (with none) and an unknown one answers with no row.
 */
/** A page of an alert's recipients and how many match in all; undefined if there is no such alert. */
export async function alertRecipientsPage(
  db: Database | Tx,
  number: number,
  filter: RecipientFilter,
  page: { limit: number; offset: number },
): Promise<{ total: number; recipients: Recipient[] } | undefined> {
  const r = await sql<Recipient & { total: number }>`
    SELECT r.*, t.total
    FROM alerts a
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS total FROM deliveries d JOIN members m ON m.id = d.member_id LEFT JOIN outbox o ON o.id = d.sms_outbox_id
      WHERE d.alert_number = a.number AND ${filterSql[filter]}
    ) t
    LEFT JOIN LATERAL (
      SELECT m.id AS "memberId", m.name, m.organisation, m.phone, m.opted_out AS "optedOut",
        ${deliveryState} AS "deliveryState",
        coalesce(o.receipt_error, CASE WHEN o.state = 'failed' THEN o.last_error END) AS "receiptError",
        d.acked_at AS "ackedAt", d.reminded_at AS "remindedAt"
      FROM deliveries d
      JOIN members m ON m.id = d.member_id
      LEFT JOIN outbox o ON o.id = d.sms_outbox_id
      WHERE d.alert_number = a.number AND ${filterSql[filter]}
      ORDER BY m.organisation, m.name, m.id
      LIMIT ${page.limit} OFFSET ${page.offset}
    ) r ON true
    WHERE a.number = ${number}
    ORDER BY r.organisation, r.name, r."memberId"`.execute(db);
  if (r.rows.length === 0) return undefined;
  return {
    total: r.rows[0]!.total,
    recipients: r.rows.filter((row) => row.memberId !== null).map(({ total: _total, ...rest }) => rest),
  };
}

export async function alertRecipients(db: Database | Tx, number: number, filter: RecipientFilter): Promise<Recipient[] | undefined> {
  const r = await sql<Recipient & { found: number }>`
    SELECT a.number AS found, r.*
    FROM alerts a
    LEFT JOIN LATERAL (
      SELECT m.id AS "memberId", m.name, m.organisation, m.phone, m.opted_out AS "optedOut",
        ${deliveryState} AS "deliveryState",
        coalesce(o.receipt_error, CASE WHEN o.state = 'failed' THEN o.last_error END) AS "receiptError",
        d.acked_at AS "ackedAt", d.reminded_at AS "remindedAt"
      FROM deliveries d
      JOIN members m ON m.id = d.member_id
      LEFT JOIN outbox o ON o.id = d.sms_outbox_id
      WHERE d.alert_number = a.number AND ${filterSql[filter]}
    ) r ON true
    WHERE a.number = ${number}
    ORDER BY r.organisation, r.name, r."memberId"`.execute(db);
  if (r.rows.length === 0) return undefined;
  return r.rows
    .filter((row) => row.memberId !== null)
    .map(({ found: _found, ...rest }) => rest);
}

export async function alertTotal(db: Database | Tx): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts`.execute(db);
  return r.rows[0]!.n;
}

export interface OptedOutMember {
  memberId: number;
  name: string;
  organisation: string;
  phone: string;
  optedOutAt: Date | null;
}

/** A page of optedOutMembers, and how many there are in all. */
export async function optedOutMembersPage(db: Database | Tx, page: { limit: number; offset: number }): Promise<{ total: number; members: OptedOutMember[] }> {
  const [rows, total] = await Promise.all([
    sql<OptedOutMember>`
      SELECT id AS "memberId", name, organisation, phone, opted_out_at AS "optedOutAt"
      FROM members WHERE opted_out
      ORDER BY opted_out_at DESC NULLS LAST, name, id
      LIMIT ${page.limit} OFFSET ${page.offset}`.execute(db),
    sql<{ n: number }>`SELECT count(*)::int AS n FROM members WHERE opted_out`.execute(db),
  ]);
  return { total: total.rows[0]!.n, members: rows.rows };
}

/** Everyone who will not get alert texts, most recent first: nobody drops off the list unseen. */
export async function optedOutMembers(db: Database | Tx): Promise<OptedOutMember[]> {
  const r = await sql<OptedOutMember>`
    SELECT id AS "memberId", name, organisation, phone, opted_out_at AS "optedOutAt"
    FROM members WHERE opted_out
    ORDER BY opted_out_at DESC NULLS LAST, name, id`.execute(db);
  return r.rows;
}
