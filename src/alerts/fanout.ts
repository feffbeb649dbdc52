// A broadcast's texts and deliveries, written in batches of recipients in member id order.
//
// createAlert writes the alert and its first FANOUT_INLINE recipients in the deciding transaction,
// so an alert to a few hundred members is complete when it commits and the first texts of any alert
// can go at once. A larger audience is continued by the fan-out worker (startFanOutWorker), one
// batch per transaction: the batch and the alert's cursor (alerts.fanout_after, the last member id
// written) commit together, the alert row is locked while a batch is written, and a member who
// already has a delivery for the alert is skipped, so a crash or a second instance neither skips
// nor doubles anyone. Measured here (machine PostgreSQL, 100,000 members): writing every row in
// the deciding transaction took 1.1-2.9 s (86.8 MB of WAL); the alert with its first 1,000 rows
// commits in tens of milliseconds and the worker writes the rest in about a second
// (`npm run bench delivery` prints both).
//
// An emailed alert's emails go with the texts' batches, by member id range (enqueueAlertEmails): the
// range a batch of texts covered, the last batch to the end. A 100,000-member CONFIRM with every
// email in its own transaction committed in 0.95-1.34 s instead of 59-80 ms (`npm run bench delivery` prints it).
//
// Who is still written after the commit: members as they are when their batch is written (one who
// opts out a second after the alert is not texted; one added is). An UPDATE or ALLCLEAR finishes the
// fan-out first, in its own transaction (finishFanOut), so its recipients are the alert's.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
import type { Clock } from '../clock.js';
import { broadcastText } from './text.js';
import { enqueueAlertEmails, smsRowsFrom } from '../outbox/write.js';

/** Recipients written in the alert's own transaction (~15 ms here). */
export const FANOUT_INLINE = 1_000;
/** Recipients per worker transaction: ~5,000 rows of each table in well under 100 ms here. */
export const FANOUT_BATCH = 5_000;

/**
 * The audience of an alert, as SQL over `members m`: every member not opted out, except the one
 * raising it and the organisations' deputy contacts, who are held back (src/alerts/escalation.ts
 * sends it to them when nobody at their organisation has acknowledged in time).
 */
const inAudience = (raisedBy: number | null) => sql`NOT m.opted_out AND m.id IS DISTINCT FROM ${raisedBy} AND m.contact_role <> 'deputy'`;

export interface BroadcastBatch {
  /** Texts (and deliveries) written. */
  written: number;
  /** The last member id looked at, or null if none was. */
  lastId: number | null;
  /** Fewer members than the limit were left: the fan-out is complete. */
  done: boolean;
}

/**
 * Writes the broadcast text and delivery of up to `limit` audience members (inAudience) with
 * id > `after`, in id order. `skipDelivered`: leave out members who already have a
 * delivery for this alert (an escalated deputy demoted since; a batch after the first).
 */
export async function writeBroadcastBatch(
  trx: Tx,
  alert: { number: number; raisedBy: number | null; body: string },
  after: number,
  limit: number,
  now: Date,
  skipDelivered: boolean,
): Promise<BroadcastBatch> {
  const r = await sql<{ written: number; scanned: number; last_id: number | null }>`
    WITH c AS MATERIALIZED (
      SELECT m.id, m.phone, m.ods_code, m.contact_role FROM members m
      WHERE m.id > ${after} AND ${inAudience(alert.raisedBy)}
      ORDER BY m.id LIMIT ${limit}
    ), o AS (${smsRowsFrom('alert', alert.number, now, sql`
      SELECT c.id AS member_id, c.phone AS recipient, ${alert.body}::text AS body FROM c
      ${skipDelivered ? sql`WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_number = ${alert.number} AND d.member_id = c.id)` : sql``}
      ORDER BY c.id`)}
    ), d AS (
      -- The recipient's organisation and role as they are now: coverage counts by these.
      INSERT INTO deliveries (alert_number, member_id, sms_outbox_id, created_at, ods_code, contact_role)
      SELECT ${alert.number}, o.member_id, o.id, ${now}, c.ods_code, c.contact_role
      FROM o JOIN c ON c.id = o.member_id
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM d)::int AS written, (SELECT count(*) FROM c)::int AS scanned, (SELECT max(id) FROM c) AS last_id`.execute(trx);
  const row = r.rows[0]!;
  return { written: row.written, lastId: row.last_id, done: row.scanned < limit };
}

/**
 * Audience members with id > `after` (0: the whole audience, what a raise is confirmed with; the
 * rest of a fan-out, what a new alert is announced with).
 */
export async function audienceAfter(trx: Tx, raisedBy: number | null, after = 0): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM members m WHERE m.id > ${after} AND ${inAudience(raisedBy)}`.execute(trx);
  return r.rows[0]!.n;
}

interface PendingAlert {
  number: number;
  raised_by: number | null;
  raiser_name: string;
  raiser_org: string;
  summary: string;
  exercise: boolean;
  status: 'open' | 'closed';
  fanout_after: number | null;
  email_fanout: boolean;
}

/** One batch of one alert whose row is locked by the caller; ends the fan-out when it is complete. */
async function continueLocked(trx: Tx, a: PendingAlert, now: Date, limit: number): Promise<{ written: number; done: boolean }> {
  if (a.fanout_after === null) return { written: 0, done: true };
  const body = broadcastText({ number: a.number, raiserName: a.raiser_name, raiserOrg: a.raiser_org, summary: a.summary, exercise: a.exercise });
  const b = await writeBroadcastBatch(trx, { number: a.number, raisedBy: a.raised_by, body }, a.fanout_after, limit, now, true);
  // The same members' emails (any member with an address in the range, opted out of texts or not).
  if (a.email_fanout) await enqueueAlertEmails(trx, a, a.raised_by, now, { after: a.fanout_after, upTo: b.done ? null : b.lastId });
  if (b.done) {
    // Recipients are the deliveries (escalated deputies add theirs as they are queued).
    await sql`
      UPDATE alerts SET fanout_after = NULL, email_fanout = false,
        recipient_count = (SELECT count(*)::int FROM deliveries WHERE alert_number = ${a.number})
      WHERE number = ${a.number}`.execute(trx);
  } else {
    await sql`UPDATE alerts SET fanout_after = ${b.lastId} WHERE number = ${a.number}`.execute(trx);
  }
  return { written: b.written, done: b.done };
}

const PENDING_COLUMNS = ['number', 'raised_by', 'raiser_name', 'raiser_org', 'summary', 'exercise', 'status', 'fanout_after', 'email_fanout'] as const;

/**
 * Writes the next batch of the oldest unfinished fan-out no other worker is writing, in its own
 * transaction. Returns the texts written, or null when no fan-out is waiting.
 */
export async function continueFanOut(db: Database, now: Date, limit = FANOUT_BATCH): Promise<number | null> {
  return db.transaction().execute(async (trx) => {
    const a = await trx
      .selectFrom('alerts')
      .select(PENDING_COLUMNS)
      .where('fanout_after', 'is not', null)
      .orderBy('number')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!a) return null;
    return (await continueLocked(trx, a, now, limit)).written;
  });
}

/**
 * Completes the alert's fan-out in the caller's transaction (an UPDATE or ALLCLEAR goes to every
 * recipient of the alert, so they are all written first). The caller has locked the alert row.
 */
export async function finishFanOut(trx: Tx, alertNumber: number, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const a = await trx.selectFrom('alerts').select(PENDING_COLUMNS).where('number', '=', alertNumber).executeTakeFirst();
    if (!a) return total;
    const r = await continueLocked(trx, a, now, FANOUT_BATCH);
    total += r.written;
    if (r.done) return total;
  }
}

export interface FanOutWorker {
  stop(): Promise<void>;
}

/** How often the worker looks for unfinished fan-outs when nothing woke it (another instance's alert). */
const POLL_MS = 250;

/**
 * Started by src/workers.ts (and wherever dispatchers run): writes waiting fan-outs batch by batch,
 * waking dispatchers after each commit. Woken at once by `outboxSignal` (createAlert's callers touch
 * it after their commit); polls otherwise. Failures are logged and retried.
 */
export function startFanOutWorker(
  deps: { db: Database; clock: Clock; outboxSignal?: { touch(): void; subscribe(fn: () => void): () => void } | undefined },
  log: { error(obj: object, msg: string): void },
  batch = FANOUT_BATCH,
): FanOutWorker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let again = false;
  let running: Promise<void> | undefined;

  const run = async () => {
    do {
      again = false;
      try {
        while (!stopped) {
          const n = await continueFanOut(deps.db, deps.clock(), batch);
          if (n === null) break;
          if (n > 0) deps.outboxSignal?.touch();
        }
      } catch (err) {
        log.error({ err }, 'fan-out batch failed; retrying');
      }
    } while (again && !stopped);
  };
  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = run().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(kick, POLL_MS);
    });
  };
  const unsubscribe = deps.outboxSignal?.subscribe(kick);
  kick();
  return {
    stop: async () => {
      stopped = true;
      unsubscribe?.();
      clearTimeout(timer);
      await running;
    },
  };
}
