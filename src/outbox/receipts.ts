// Applying a delivery receipt to its outbox row. A receipt also proves the provider took the
// text: a row still 'sending' (its answer lost to a timeout or a crash) or waiting to be retried
// becomes 'sent', so it is never sent a second time. So a receipt must match the provider id
// recorded for its row (applyReceipt): otherwise anyone holding a receipt could mark any row sent.
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

/** Why a receipt moved nothing: no row has that id, or the row's recorded provider id is another. */
export type ReceiptMiss = 'unknown_message' | 'mismatched_message';

export type ReceiptResult =
  | { matched: false; reason: ReceiptMiss }
  | { matched: true; outboxId: string; applied: boolean; status: string | null; state: string };

/**
 * A receipt moves a row only when its message id is the provider id recorded for that row (by
 * client-ref, our outbox id, or by message id alone): a receipt cannot invent a delivery. The one
 * exception is a row whose send started (started_at) but whose provider id was never recorded (the
 * sender died, or timed out, after the provider took the text): its receipt is accepted and its
 * message id recorded, so the text is not sent a second time.
 *
 * Delivered is never undone; a final status (failed, expired, rejected) is not replaced by an interim
 * one (accepted, buffered, unknown); interim statuses replace each other. So duplicates and
 * out-of-order receipts are harmless. A multipart text is matched on the id the provider gave for
 * it (Vonage: the first part's); receipts for its other parts are mismatched and change nothing.
 */
export async function applyReceipt(db: Database, r: Receipt, now: Date): Promise<ReceiptResult> {
  const byRef = r.clientRef !== undefined && /^\d{1,18}$/.test(r.clientRef);
  if (!byRef && !r.messageId) return { matched: false, reason: 'unknown_message' };
  const rank = receiptRank(r.status);
  const messageId = r.messageId ?? null;
  const res = await sql<{ id: string; ours: boolean; receipt_status: string | null; state: string | null; applied: boolean | null }>`
    WITH target AS (
      SELECT id, CASE
          WHEN receipt_status IS NULL THEN 0
          WHEN receipt_status = 'delivered' THEN 3
          WHEN receipt_status IN ('failed', 'expired', 'rejected') THEN 2
          ELSE 1 END AS old_rank,
        (${messageId}::text IS NOT NULL AND (provider_id = ${messageId}::text OR (provider_id IS NULL AND started_at IS NOT NULL))) AS ours
      FROM outbox
      WHERE channel = 'sms'
        AND ${byRef ? sql`id = ${r.clientRef}::bigint` : sql`provider_id = ${messageId}`}
        AND (${r.msisdn ?? null}::text IS NULL OR recipient = '+' || ${r.msisdn ?? null}::text)
      FOR UPDATE
    ), moved AS (
      UPDATE outbox o
      SET receipt_status = CASE WHEN t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1) THEN ${r.status} ELSE o.receipt_status END,
          receipt_error = CASE WHEN t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1) THEN ${r.error}::text ELSE o.receipt_error END,
          receipt_at = CASE WHEN t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1) THEN ${now}::timestamptz ELSE o.receipt_at END,
          state = CASE WHEN o.state IN ('pending', 'sending', 'failed') AND o.attempts > 0 THEN 'sent' ELSE o.state END,
          sent_at = CASE WHEN o.attempts > 0 THEN coalesce(o.sent_at, ${now}::timestamptz) ELSE o.sent_at END,
          lease_until = CASE WHEN o.state IN ('pending', 'sending') AND o.attempts > 0 THEN NULL ELSE o.lease_until END,
          provider_id = coalesce(o.provider_id, ${messageId}::text)
      FROM target t
      WHERE o.id = t.id AND t.ours
      RETURNING o.id, o.receipt_status, o.state, (t.old_rank < ${rank}::int OR (${rank}::int = 1 AND t.old_rank <= 1)) AS applied
    )
    SELECT t.id, t.ours, m.receipt_status, m.state, m.applied FROM target t LEFT JOIN moved m ON m.id = t.id`.execute(db);
  const row = res.rows[0];
  if (!row) return { matched: false, reason: 'unknown_message' };
  if (!row.ours) return { matched: false, reason: 'mismatched_message' };
  return { matched: true, outboxId: row.id, applied: row.applied ?? false, status: row.receipt_status, state: row.state ?? '' };
}
