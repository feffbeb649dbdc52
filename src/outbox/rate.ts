// Send-rate arithmetic. The schedule itself lives in PostgreSQL (rate_limits.next_slot, reserved by
// claimDue) so that several instances together keep one limit.

export interface RatePlan {
  /** Spacing between sends; undefined means no limit. */
  intervalMs: number | undefined;
  /** Rows per claim. */
  batch: number;
  /** A claim is made only while the shared schedule ends less than this far ahead. */
  horizonMs: number;
}

/**
 * At 30/s: one slot every 33.3 ms, claims of 15 rows (half a second of sending), made whenever the
 * shared schedule reaches less than 0.5 s ahead, so it never runs dry between two polls and a reply
 * queued behind a broadcast waits at most about half a second.
 */
export function ratePlan(perSecond: number, maxBatch: number, horizonMs = 500): RatePlan {
  if (!(perSecond > 0)) return { intervalMs: undefined, batch: maxBatch, horizonMs };
  const intervalMs = 1000 / perSecond;
  return { intervalMs, batch: Math.max(1, Math.min(maxBatch, Math.ceil(horizonMs / intervalMs))), horizonMs };
}
