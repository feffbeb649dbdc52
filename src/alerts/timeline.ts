// An alert's response over time, for the dashboard's chart: how many of its texts had been sent,
// delivered and failed, how many recipients had acknowledged, and (for an alert that concerns
// organisations) how many organisations were covered, at the end of each time bucket. Counted in
// SQL from deliveries, outbox and acknowledgements (one statement), read and never kept, like the
// counts beside it (src/alerts/counts.ts).
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';

/** Bucket widths in seconds: a round step, so the x axis reads as times a person would say. */
const STEPS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] as const;
/** At most this many buckets: enough for a smooth line, few enough for a phone. */
export const MAX_BUCKETS = 60;

export interface TimelineWindow {
  /** The first point (the alert's creation), in Unix seconds. */
  start: number;
  bucketSeconds: number;
  buckets: number;
}

/**
 * Pure: the buckets from `start` to `end` (Unix seconds). At least one minute is shown, so the first
 * seconds of an alert are not a single point; at most MAX_BUCKETS buckets of a round width.
 */
export function timelineWindow(start: number, end: number): TimelineWindow {
  const span = Math.max(60, end - start);
  const step = STEPS.find((s) => s * MAX_BUCKETS >= span) ?? Math.ceil(span / MAX_BUCKETS / 86400) * 86400;
  return { start, bucketSeconds: step, buckets: Math.max(1, Math.ceil(span / step)) };
}

export interface Timeline {
  alert: number;
  bucketSeconds: number;
  recipients: number;
  /** Organisations the alert concerns; null when it concerns none (no directory). */
  organisations: number | null;
  /** Unix seconds: the alert's creation, then the end of each bucket. */
  t: number[];
  /** Cumulative counts at each time of `t`. */
  sent: number[];
  delivered: number[];
  failed: number[];
  acknowledged: number[];
  /** null when the alert concerns no organisations. */
  covered: number[] | null;
}

interface Bounds {
  start: number;
  lastEvent: number | null;
  open: boolean;
  recipients: number;
  organisations: number;
}

interface BucketRow {
  i: number;
  sent: number;
  delivered: number;
  failed: number;
  acknowledged: number;
  covered: number;
}

/** The alert's timeline up to `now` (an open alert's chart runs to now); undefined when there is no such alert. */
export async function alertTimeline(db: Database | Tx, n: number, now: Date): Promise<Timeline | undefined> {
  // Failed: a final failed receipt, or a text the provider refused (no receipt: when it was given up on,
  // which the row records as its last attempt time).
  const events = sql`
    SELECT o.sent_at AS sent,
           CASE WHEN o.receipt_status = 'delivered' THEN o.receipt_at END AS delivered,
           CASE WHEN o.state = 'failed' OR o.receipt_status IN ('failed', 'rejected', 'expired')
                THEN coalesce(o.receipt_at, o.sent_at, o.next_attempt_at, o.created_at) END AS failed,
           d.acked_at AS acked, d.ods_code
    FROM deliveries d LEFT JOIN outbox o ON o.id = d.sms_outbox_id
    WHERE d.alert_number = ${n}`;
  const orgs = sql`
    SELECT ods_code FROM alert_organisations WHERE alert_number = ${n}
    UNION SELECT ods_code FROM deliveries WHERE alert_number = ${n} AND ods_code IS NOT NULL`;
  const b = await sql<Bounds>`
    WITH ev AS (${events})
    SELECT extract(epoch FROM a.created_at)::float8 AS start,
           (SELECT extract(epoch FROM greatest(max(sent), max(delivered), max(failed), max(acked)))::float8 FROM ev) AS "lastEvent",
           a.status = 'open' AS open,
           (SELECT count(*)::int FROM ev) AS recipients,
           (SELECT count(*)::int FROM (${orgs}) x) AS organisations
    FROM alerts a WHERE a.number = ${n}`.execute(db);
  const bounds = b.rows[0];
  if (!bounds) return undefined;
  const nowS = now.getTime() / 1000;
  const start = Math.floor(bounds.start);
  const end = Math.max(bounds.lastEvent ?? start, bounds.open ? nowS : start);
  const w = timelineWindow(start, Math.ceil(end));

  // Each event in its bucket (clamped: a clock a little off never loses an event), counted per
  // bucket, then summed along the buckets. An organisation is covered at its first acknowledgement.
  const r = await sql<BucketRow>`
    WITH ev AS (${events}),
    at AS (
      SELECT 'sent' AS k, sent AS t FROM ev WHERE sent IS NOT NULL
      UNION ALL SELECT 'delivered', delivered FROM ev WHERE delivered IS NOT NULL
      UNION ALL SELECT 'failed', failed FROM ev WHERE failed IS NOT NULL
      UNION ALL SELECT 'acknowledged', acked FROM ev WHERE acked IS NOT NULL
      UNION ALL SELECT 'covered', min(acked) FROM ev
        WHERE ods_code IN (${orgs}) AND acked IS NOT NULL GROUP BY ods_code
    ),
    per AS (
      SELECT least(${w.buckets - 1}, greatest(0, floor((extract(epoch FROM t) - ${w.start}) / ${w.bucketSeconds})))::int AS i,
             count(*) FILTER (WHERE k = 'sent') AS sent,
             count(*) FILTER (WHERE k = 'delivered') AS delivered,
             count(*) FILTER (WHERE k = 'failed') AS failed,
             count(*) FILTER (WHERE k = 'acknowledged') AS acknowledged,
             count(*) FILTER (WHERE k = 'covered') AS covered
      FROM at GROUP BY 1
    )
    SELECT s.i,
           (sum(coalesce(per.sent, 0)) OVER w)::int AS sent,
           (sum(coalesce(per.delivered, 0)) OVER w)::int AS delivered,
           (sum(coalesce(per.failed, 0)) OVER w)::int AS failed,
           (sum(coalesce(per.acknowledged, 0)) OVER w)::int AS acknowledged,
           (sum(coalesce(per.covered, 0)) OVER w)::int AS covered
    FROM generate_series(0, ${w.buckets - 1}) AS s(i)
    LEFT JOIN per ON per.i = s.i
    WINDOW w AS (ORDER BY s.i)
    ORDER BY s.i`.execute(db);

  const hasOrgs = bounds.organisations > 0;
  const col = (k: keyof Omit<BucketRow, 'i'>) => [0, ...r.rows.map((row) => row[k])];
  return {
    alert: n,
    bucketSeconds: w.bucketSeconds,
    recipients: bounds.recipients,
    organisations: hasOrgs ? bounds.organisations : null,
    t: [w.start, ...r.rows.map((row) => w.start + (row.i + 1) * w.bucketSeconds)],
    sent: col('sent'),
    delivered: col('delivered'),
    failed: col('failed'),
    acknowledged: col('acknowledged'),
    covered: hasOrgs ? col('covered') : null,
  };
}
