// Recording what happened to each send. Outcomes are buffered and written a few milliseconds later
// in one UPDATE ... FROM unnest(...): at 2,000 texts/s that is one statement per ~10 rows instead of
// 2,000 statements, and a kill -9 leaves at most a few ms of outcomes unrecorded.
// Every update is fenced on (id, attempts, state): a row reclaimed and claimed again elsewhere is
// not touched by its old owner, and a row a delivery receipt already marked sent stays sent. A late
// "sent" for a row taken back but not claimed again (still this attempt, now 'pending' and waiting
// out its receipt grace) is kept: the provider has the text, so it must not go out again.
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';

export type Outcome =
  | { id: string; attempts: number; kind: 'sent'; providerId: string | null; note: string | null }
  | { id: string; attempts: number; kind: 'retry'; delayMs: number; error: string }
  /** Not attempted (waiting on another row): pending again after delayMs, with the attempt given back. */
  | { id: string; attempts: number; kind: 'wait'; delayMs: number; error: string }
  | { id: string; attempts: number; kind: 'failed'; error: string };

export interface Completer {
  add(o: Outcome): void;
  /** Writes everything buffered; resolves when it is stored. */
  flush(): Promise<void>;
  /** Outcomes not yet stored. */
  readonly pending: number;
}

export async function recordOutcomes(db: Database, batch: readonly Outcome[], now: Date): Promise<void> {
  if (batch.length === 0) return;
  await sql`
    UPDATE outbox o
    SET state = CASE r.kind WHEN 'sent' THEN 'sent' WHEN 'retry' THEN 'pending' WHEN 'wait' THEN 'pending' ELSE 'failed' END,
        attempts = CASE WHEN r.kind = 'wait' THEN greatest(o.attempts - 1, 0) ELSE o.attempts END,
        provider_id = CASE WHEN r.kind = 'sent' THEN coalesce(o.provider_id, r.provider_id) ELSE o.provider_id END,
        sent_at = CASE WHEN r.kind = 'sent' THEN coalesce(o.sent_at, ${now}::timestamptz) ELSE o.sent_at END,
        next_attempt_at = CASE WHEN r.kind IN ('retry', 'wait') THEN ${now}::timestamptz + r.delay_ms * interval '1 millisecond' ELSE o.next_attempt_at END,
        last_error = coalesce(r.error, o.last_error),
        lease_until = NULL
    FROM unnest(
      ${batch.map((b) => b.id)}::bigint[],
      ${batch.map((b) => b.attempts)}::int[],
      ${batch.map((b) => b.kind)}::text[],
      ${batch.map((b) => (b.kind === 'sent' ? b.providerId : null))}::text[],
      ${batch.map((b) => (b.kind === 'sent' ? b.note : b.error))}::text[],
      ${batch.map((b) => (b.kind === 'retry' || b.kind === 'wait' ? Math.round(b.delayMs) : 0))}::int[]
    ) AS r(id, attempts, kind, provider_id, error, delay_ms)
    WHERE o.id = r.id AND o.attempts = r.attempts
      AND (o.state = 'sending' OR (r.kind = 'sent' AND o.state IN ('sent', 'pending')))`.execute(db);
}

export interface CompleterOptions {
  flushMs?: number;
  maxBatch?: number;
  onError?: (err: unknown) => void;
  /** The time written with each batch (default: the node clock). */
  clock?: () => Date;
}

/** Buffers outcomes and writes them every `flushMs` (default 5) or when `maxBatch` are waiting. */
export function createCompleter(db: Database, opts: CompleterOptions = {}): Completer {
  const flushMs = opts.flushMs ?? 5;
  const maxBatch = opts.maxBatch ?? 500;
  const clock = opts.clock ?? (() => new Date());
  let buffer: Outcome[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let failures = 0;

  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return writing;
    const batch = buffer;
    buffer = [];
    writing = writing.then(async () => {
      try {
        await recordOutcomes(db, batch, clock());
        failures = 0;
      } catch (err) {
        // Not lost: put back and tried again, slower each time (the database may be restarting).
        buffer = batch.concat(buffer);
        failures++;
        opts.onError?.(err);
        schedule(Math.min(flushMs * 2 ** failures, 2000));
      }
    });
    return writing;
  };
  const schedule = (ms: number) => {
    if (!timer) timer = setTimeout(() => void write(), ms);
  };
  return {
    add(o) {
      buffer.push(o);
      if (buffer.length >= maxBatch) void write();
      else schedule(flushMs);
    },
    async flush() {
      await write();
      await writing;
    },
    get pending() {
      return buffer.length;
    },
  };
}
