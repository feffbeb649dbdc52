// Applying a delivery receipt to its outbox row. A receipt also proves the provider took the
// text: a row still 'sending' (its answer lost to a timeout or a crash) or waiting to be retried
// becomes 'sent', so it is never sent a second time.
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';

/** Our receipt vocabulary: each provider maps its own statuses to these before handing a receipt on. */
export const RECEIPT_STATUSES = ['accepted', 'delivered', 'buffered', 'expired', 'failed', 'rejected', 'unknown'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/**
 * Order in which a receipt may replace the one recorded: delivered is final and never undone;
 * failed, expired and rejected are final; accepted, buffered and unknown are interim (the latest wins).
 */
export function receiptRank(s: string | null): number {
  if (s === 'delivered') return 3;
  if (s === 'failed' || s === 'expired' || s === 'rejected') return 2;
  if (s === null) return 0;
  return 1;
}

export interface Receipt {
  /** Our outbox id, echoed as client-ref (preferred). */
  clientRef: string | undefined;
  /** The provider's id of the (part) message. */
  messageId: string | undefined;
  /** Recipient digits, checked against the row when present. */
  msisdn: string | undefined;
  status: ReceiptStatus;
  error: string | null;
}

export type ReceiptResult =
  | { matched: false }
  | { matched: true; outboxId: string; applied: boolean; status: string | null; state: string };

/**
 * Delivered is never undone; a final status (failed, expired, rejected) is not replaced by an interim
 * one (accepted, buffered, unknown); interim statuses replace each other. So duplicates and
 * out-of-order receipts are harmless, and a multipart text counts as delivered once any part is.
 */
export async function applyReceipt(db: Database, r: Receipt, now: Date): Promise<ReceiptResult> {
  const byRef = r.clientRef !== undefined && /^\d{1,18}$/.test(r.clientRef);
  if (!byRef && !r.messageId) return { matched: false };
  const rank = receiptRank(r.status);
  const res = await sql<{ id: string; receipt_status: string | null; state: string; applied: boolean }>`
    WITH target AS (
      SELECT id, CASE
          WHEN receipt_status IS NULL THEN 0
          WHEN receipt_status = 'delivered' THEN 3
          WHEN receipt_status IN ('failed', 'expired', 'rejected') THEN 2
          ELSE 1 END AS old_rank
      FROM outbox
      WHERE channel = 'sms'
        AND ${byRef ? sql`id = ${r.clientRef}::bigint` : sql`provider_id = ${r.messageId ?? null}`}
        AND (${r.msisdn ?? null}::text IS NULL OR recipient = '+' || ${r.msisdn ?? null}::text)
      FOR UPDATE
    )
    UPDATE outbox o
    SET receipt_status = CASE WHEN t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1) THEN ${r.status} ELSE o.receipt_status END,
        receipt_error = CASE WHEN t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1) THEN ${r.error}::text ELSE o.receipt_error END,
        receipt_at = CASE WHEN t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1) THEN ${now}::timestamptz ELSE o.receipt_at END,
        state = CASE WHEN o.state IN ('pending', 'sending', 'failed') AND o.attempts > 0 THEN 'sent' ELSE o.state END,
        sent_at = CASE WHEN o.attempts > 0 THEN coalesce(o.sent_at, ${now}::timestamptz) ELSE o.sent_at END,
        lease_until = CASE WHEN o.state IN ('pending', 'sending') AND o.attempts > 0 THEN NULL ELSE o.lease_until END,
        provider_id = coalesce(o.provider_id, ${r.messageId ?? null}::text)
    FROM target t
    WHERE o.id = t.id
    RETURNING o.id, o.receipt_status, o.state, (t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1)) AS applied`.execute(db);
  const row = res.rows[0];
  if (!row) return { matched: false };
  return { matched: true, outboxId: row.id, applied: row.applied, status: row.receipt_status, state: row.state };
}
