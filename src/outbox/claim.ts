// Taking work from the outbox. Each claim is one statement: rows are locked with SKIP LOCKED (two
// dispatchers never take the same row), marked 'sending' under a lease, and counted as an attempt.
// With a rate limit the same statement reserves one send slot per row in rate_limits, so every
// instance on the database shares one evenly spaced schedule.
//
// Lease fencing: (id, attempts) is the claim's token. A claim's lease is short (until the rows'
// slots plus a margin); just before the provider call the holder marks the row started
// (startSending), which succeeds only while its lease holds and renews it. A row taken back by
// another instance is therefore never sent by its old holder, however late that holder wakes up.
// Without a rate limit the claim itself marks its rows started (`start`): they are sent the moment
// it returns, so the claim is the last statement before the provider call, as startSending is.
// Every statement takes `now` from the caller (the node clock, as graphile-worker's useNodeTime).
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';
import type { Channel, OutboxRow } from '../db/schema.js';

export interface ClaimOptions {
  limit: number;
  leaseMs: number;
  /** Send-slot spacing (1000 / rate); absent: no rate limit, no slots. */
  intervalMs?: number;
  /** Claim only while the shared schedule ends less than this far ahead (keeps slots near, claims small). */
  horizonMs?: number;
  /** The rate_limits row whose schedule the slots come from (default: the channel's). */
  rateKey?: string;
  /**
   * No rate limit only: the rows are handed to the provider as soon as the claim returns, so the
   * claim marks them started too (what startSending would do next), under a lease of `leaseMs`.
   * One row update fewer per text: the unlimited bench's PostgreSQL CPU per text went from 145 to
   * ~100 us (bench/delivery.bench.ts section 2, null sender).
   */
  start?: boolean;
}

export interface ClaimedRow extends OutboxRow {
  /** When to send, in ms from the claim (0 without a rate limit). */
  sendInMs: number;
  /** The rate schedule its slot came from (absent without a rate limit). */
  rateKey?: string;
}

type Raw = OutboxRow & { start_in_ms: number | null };

/** Claims up to `limit` due rows of `channel`, most urgent first (replies before broadcasts). */
export async function claimDue(db: Database, channel: Channel, o: ClaimOptions, now: Date): Promise<ClaimedRow[]> {
  const leaseUntil = new Date(now.getTime() + o.leaseMs);
  if (o.start && o.intervalMs !== undefined) throw new Error('claimDue: start is for claims without a rate limit (rows with slots start at their slot)');
  if (o.intervalMs === undefined) {
    const r = await sql<OutboxRow>`
      WITH c AS (
        SELECT id FROM outbox
        WHERE channel = ${channel} AND state = 'pending' AND next_attempt_at <= ${now}
        ORDER BY priority, next_attempt_at, id
        LIMIT ${o.limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE outbox o
      SET state = 'sending', lease_until = ${leaseUntil}, started_at = ${o.start ? now : null}::timestamptz, attempts = o.attempts + 1
      FROM c WHERE o.id = c.id
      RETURNING o.*`.execute(db);
    return sortByUrgency(r.rows).map((row) => ({ ...row, sendInMs: 0 }));
  }
  // The rate_limits row is locked first: claims of all instances queue on it for a moment, and
  // each reserves the slots after the last one reserved (or from now, when the schedule ran dry).
  const r = await sql<Raw>`
    WITH slot AS (
      SELECT greatest(next_slot, ${now}::timestamptz) AS start FROM rate_limits
      WHERE channel = ${o.rateKey ?? channel} AND next_slot < ${new Date(now.getTime() + (o.horizonMs ?? 1000))}::timestamptz
      FOR UPDATE
    ), c AS (
      SELECT id FROM outbox
      WHERE channel = ${channel} AND state = 'pending' AND next_attempt_at <= ${now} AND EXISTS (SELECT 1 FROM slot)
      ORDER BY priority, next_attempt_at, id
      LIMIT ${o.limit}
      FOR UPDATE SKIP LOCKED
    ), u AS (
      UPDATE outbox o
      SET state = 'sending', lease_until = ${leaseUntil}, started_at = NULL, attempts = o.attempts + 1
      FROM c WHERE o.id = c.id
      RETURNING o.*
    ), reserve AS (
      UPDATE rate_limits
      SET next_slot = (SELECT start FROM slot) + (SELECT count(*) FROM u) * ${o.intervalMs}::float8 * interval '1 millisecond'
      WHERE channel = ${o.rateKey ?? channel} AND EXISTS (SELECT 1 FROM u)
      RETURNING 1
    )
    SELECT u.*, (extract(epoch FROM (SELECT start FROM slot) - ${now}::timestamptz) * 1000)::float8 AS start_in_ms FROM u`.execute(db);
  const rows = sortByUrgency(r.rows);
  const start = rows[0]?.start_in_ms ?? 0;
  const rateKey = o.rateKey ?? channel;
  return rows.map(({ start_in_ms: _s, ...row }, i) => ({ ...row, sendInMs: Math.max(0, start + i * o.intervalMs!), rateKey }));
}

const sortByUrgency = <T extends OutboxRow>(rows: T[]): T[] =>
  rows.sort((a, b) => a.priority - b.priority || +a.next_attempt_at - +b.next_attempt_at || Number(BigInt(a.id) - BigInt(b.id)));

/** A claim's fencing token: the row and the attempt it was claimed for. */
export const claimToken = (row: Pick<OutboxRow, 'id' | 'attempts'>): string => `${row.id}/${row.attempts}`;

/**
 * Just before the provider call: marks claimed rows started and renews their lease to `leaseMs`.
 * Only rows still held under this claim (same attempts, still 'sending', lease not run out) are
 * marked; the rows returned (a subset of `rows`, at most one per token) are the ones that may be
 * sent. A row missing from the answer was taken back (or is about to be): its holder must drop it,
 * never send it. The answer is matched on (id, attempts), never on id alone: a dispatcher that took
 * back its own row and claimed it again holds two claims of one id, and only the newer may go out
 * (matching on id alone sent both: the duplicates of the 429/timeout test under load).
 */
export async function startSending<T extends Pick<OutboxRow, 'id' | 'attempts'>>(db: Database, rows: readonly T[], leaseMs: number, now: Date): Promise<T[]> {
  if (rows.length === 0) return [];
  const r = await sql<{ id: string; attempts: number }>`
    UPDATE outbox o SET started_at = ${now}::timestamptz, lease_until = ${new Date(now.getTime() + leaseMs)}::timestamptz
    FROM unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.attempts)}::int[]) AS r(id, attempts)
    WHERE o.id = r.id AND o.attempts = r.attempts AND o.state = 'sending' AND o.started_at IS NULL AND o.lease_until >= ${now}::timestamptz
    RETURNING o.id, o.attempts`.execute(db);
  return held(rows, r.rows);
}

/**
 * Keeps claims alive while their rows wait for a free request (a slow provider, a full pipeline):
 * renews the lease of claimed, unstarted rows to at least `now + marginMs`. Returns the rows still
 * held; the others were taken back and must be dropped. A live dispatcher so never loses its queue
 * to its own reclaim (which burned an attempt per lapse), while a dead one's queue lapses in the margin.
 */
export async function renewClaims<T extends Pick<OutboxRow, 'id' | 'attempts'>>(db: Database, rows: readonly T[], marginMs: number, now: Date): Promise<T[]> {
  if (rows.length === 0) return [];
  const r = await sql<{ id: string; attempts: number }>`
    UPDATE outbox o SET lease_until = greatest(o.lease_until, ${new Date(now.getTime() + marginMs)}::timestamptz)
    FROM unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.attempts)}::int[]) AS r(id, attempts)
    WHERE o.id = r.id AND o.attempts = r.attempts AND o.state = 'sending' AND o.started_at IS NULL AND o.lease_until >= ${now}::timestamptz
    RETURNING o.id, o.attempts`.execute(db);
  return held(rows, r.rows);
}

function held<T extends Pick<OutboxRow, 'id' | 'attempts'>>(rows: readonly T[], answer: readonly { id: string; attempts: number }[]): T[] {
  const ok = new Set(answer.map(claimToken));
  return rows.filter((row) => ok.delete(claimToken(row)));
}

/**
 * Takes back rows whose lease ran out (their dispatcher died, or stalled). A row never started was
 * never handed to the provider: due again at once. A started row may have reached the provider, so
 * it is not resent at once: it waits `graceMs` for a delivery receipt (which marks it sent,
 * src/outbox/receipts.ts) or its holder's late answer (src/outbox/complete.ts), then goes out again.
 */
export async function reclaimExpired(db: Database, channel: Channel, graceMs: number, now: Date, limit = 5000): Promise<number> {
  const r = await sql`
    WITH x AS (
      SELECT id FROM outbox
      WHERE state = 'sending' AND lease_until < ${now}::timestamptz AND channel = ${channel}
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox o
    SET state = CASE WHEN o.receipt_status IS NOT NULL THEN 'sent' ELSE 'pending' END,
        sent_at = CASE WHEN o.receipt_status IS NOT NULL THEN coalesce(o.sent_at, o.receipt_at, ${now}::timestamptz) ELSE o.sent_at END,
        next_attempt_at = CASE WHEN o.started_at IS NULL THEN ${now}::timestamptz ELSE ${new Date(now.getTime() + graceMs)}::timestamptz END,
        lease_until = NULL,
        last_error = CASE WHEN o.started_at IS NULL
          THEN 'lease expired before the send started: due again at once'
          ELSE 'lease expired (sender stopped mid-send): resent unless a receipt arrives first' END
    FROM x WHERE o.id = x.id`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** Gives back rows claimed but never handed to the provider (a clean shutdown): due again at once. */
export async function releaseUnsent(db: Database, rows: readonly Pick<OutboxRow, 'id' | 'attempts'>[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    UPDATE outbox o SET state = 'pending', lease_until = NULL, started_at = NULL, attempts = o.attempts - 1
    FROM unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.attempts)}::int[]) AS r(id, attempts)
    WHERE o.id = r.id AND o.attempts = r.attempts AND o.state = 'sending'`.execute(db);
}
