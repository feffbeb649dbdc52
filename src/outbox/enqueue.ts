import type { Tx } from '../db/connect.js';
import type { OutboxKind } from '../db/schema.js';

export const PRIORITY_REPLY = 0; // a member's own conversation goes ahead of a broadcast
export const PRIORITY_BROADCAST = 1;

export interface OutgoingSms {
  memberId: number | null;
  /** E.164 with '+'. */
  to: string;
  body: string;
  kind: OutboxKind;
  alertNumber?: number | null;
}

/**
 * Queues texts in the caller's transaction: they exist exactly when the decision that made them does.
 * The caller wakes the dispatchers after commit (OutboxSignal.touch, src/outbox/signal.ts).
 */
export async function enqueueSms(trx: Tx, msgs: readonly OutgoingSms[]): Promise<string[]> {
  if (msgs.length === 0) return [];
  const rows = await trx
    .insertInto('outbox')
    .values(
      msgs.map((m) => ({
        channel: 'sms' as const,
        kind: m.kind,
        priority: m.kind === 'reply' ? PRIORITY_REPLY : PRIORITY_BROADCAST,
        alert_number: m.alertNumber ?? null,
        member_id: m.memberId,
        recipient: m.to,
        body: m.body,
        payload: null,
      })),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
