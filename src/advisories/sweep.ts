// Deadlines, swept: at half the window a reminder to the contacts of organisations with no
// response; at the deadline the advisory goes to their deputies (and, for an organisation reached
// via its support unit, to its own primary contacts). Each happens once per organisation: the
// UPDATE that marks reminded_at / escalated_at feeds the outbox INSERT in the same statement, and a
// per-advisory transaction lock makes a second instance wait and then find nothing left, so a
// contact gets one text per step even with two instances, and a restart re-sends nothing.
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Tx } from '../db/connect.js';
import type { Clock } from '../clock.js';
import { PRIORITY_BROADCAST } from '../outbox/enqueue.js';
import type { Severity } from './deadline.js';
import {
  advisoryEscalationTemplate,
  advisoryReminderTemplate,
  advisoryReminderText,
  advisorySubject,
  COUNT_PLACEHOLDER,
  OF_PLACEHOLDER,
  type AdvisoryWords,
} from './text.js';

interface Due {
  number: number;
  title: string;
  severity: Severity;
  respond_by: Date | null;
  exercise: boolean;
}

export interface SweepCounts {
  reminded: number;
  escalated: number;
  texts: number;
}

const words = (a: Due): AdvisoryWords => ({ number: a.number, severity: a.severity, title: a.title, respondBy: a.respond_by, exercise: a.exercise });
const lock = (trx: Tx, n: number) => sql`SELECT pg_advisory_xact_lock(hashtext('batsignal.advisory_sweep'), ${n})`.execute(trx);

async function remind(trx: Tx, a: Due, now: Date): Promise<{ orgs: number; texts: number }> {
  const w = words(a);
  const r = await sql<{ orgs: number; texts: number }>`
    WITH marked AS (
      UPDATE advisory_organisations o SET reminded_at = ${now}
      WHERE o.advisory = ${a.number} AND o.response = 'no_response' AND o.reminded_at IS NULL AND o.escalated_at IS NULL
      RETURNING o.ods_code
    ), per AS (
      SELECT c.member_id, count(*) AS waiting,
             (SELECT count(*) FROM advisory_contacts t WHERE t.advisory = ${a.number} AND t.member_id = c.member_id) AS total
      FROM marked JOIN advisory_contacts c ON c.advisory = ${a.number} AND c.ods_code = marked.ods_code
      GROUP BY c.member_id
    ), q AS (
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, created_at, next_attempt_at)
      SELECT 'sms', 'advisory_reminder', ${PRIORITY_BROADCAST}, ${a.number}, m.id, m.phone,
             CASE WHEN per.total = 1 THEN ${advisoryReminderText(w, 1, 1)}
                  ELSE replace(replace(${advisoryReminderTemplate(w)}, ${COUNT_PLACEHOLDER}, to_char(per.waiting, 'FM999,999,990')),
                               ${OF_PLACEHOLDER}, to_char(per.total, 'FM999,999,990')) END,
             ${now}, ${now}
      FROM per JOIN members m ON m.id = per.member_id
      WHERE NOT m.opted_out
      ORDER BY m.id
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM marked)::int AS orgs, (SELECT count(*) FROM q)::int AS texts`.execute(trx);
  return r.rows[0]!;
}

async function escalate(trx: Tx, a: Due, now: Date, email: boolean): Promise<{ orgs: number; texts: number }> {
  const w = words(a);
  const r = await sql<{ orgs: number; texts: number }>`
    WITH marked AS (
      UPDATE advisory_organisations o SET escalated_at = ${now}
      WHERE o.advisory = ${a.number} AND o.response = 'no_response' AND o.escalated_at IS NULL
      RETURNING o.ods_code, o.name, o.routing
    ), extra AS (
      SELECT DISTINCT ON (m.id, k.ods_code) m.id AS member_id, k.ods_code, k.name,
             CASE WHEN m.contact_role = 'deputy' THEN 'deputy' ELSE 'own_primary' END AS route
      FROM marked k
      JOIN members m ON m.ods_code = k.ods_code
        AND (m.contact_role = 'deputy' OR (m.contact_role = 'primary' AND k.routing = 'via_support'))
      WHERE NOT m.opted_out OR (${email}::boolean AND m.email IS NOT NULL AND btrim(m.email) <> '')
    ), added AS (
      INSERT INTO advisory_contacts (advisory, member_id, ods_code, route, added_at)
      SELECT ${a.number}, member_id, ods_code, route, ${now} FROM extra
      ON CONFLICT DO NOTHING
      RETURNING member_id
    ), per AS (
      SELECT member_id, count(*) AS n, min(name) AS name FROM extra GROUP BY member_id
    ), s AS (
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, created_at, next_attempt_at)
      SELECT 'sms', 'advisory_escalation', ${PRIORITY_BROADCAST}, ${a.number}, m.id, m.phone,
             replace(${advisoryEscalationTemplate(w)}, ${COUNT_PLACEHOLDER},
                     CASE WHEN per.n = 1 THEN per.name ELSE to_char(per.n, 'FM999,999,990') || ' organisations' END),
             ${now}, ${now}
      FROM per JOIN members m ON m.id = per.member_id
      WHERE NOT m.opted_out
      ORDER BY m.id
      RETURNING id, member_id
    ), d AS (
      INSERT INTO deliveries (alert_number, member_id, sms_outbox_id, created_at)
      SELECT ${a.number}, member_id, id, ${now} FROM s
      ON CONFLICT DO NOTHING
      RETURNING 1
    ), e AS (
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, payload, created_at, next_attempt_at)
      SELECT 'email', 'advisory_escalation', ${PRIORITY_BROADCAST}, ${a.number}, m.id, btrim(m.email), ${'OVERDUE ' + advisorySubject(w)},
             jsonb_build_object('smsOptedOut', m.opted_out), ${now}, ${now}
      FROM per JOIN members m ON m.id = per.member_id
      WHERE ${email}::boolean AND m.email IS NOT NULL AND btrim(m.email) <> ''
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM marked)::int AS orgs, (SELECT count(*) FROM s)::int AS texts,
           (SELECT count(*) FROM added)::int AS added, (SELECT count(*) FROM d)::int AS d, (SELECT count(*) FROM e)::int AS e`.execute(trx);
  return r.rows[0]!;
}

/** One sweep over open advisories with a step due; each advisory in its own short transaction. */
export async function sweepAdvisoryDeadlines(db: Database, now: Date, opts: { email: boolean }): Promise<SweepCounts> {
  const due = await sql<Due & { escalate: boolean }>`
    SELECT a.number, a.title, a.severity, a.respond_by, al.exercise, (a.respond_by <= ${now}) AS escalate
    FROM advisories a JOIN alerts al ON al.number = a.number AND al.status = 'open'
    WHERE a.remind_at <= ${now}
      AND EXISTS (SELECT 1 FROM advisory_organisations o
                  WHERE o.advisory = a.number AND o.response = 'no_response'
                    AND (o.escalated_at IS NULL AND (a.respond_by <= ${now} OR o.reminded_at IS NULL)))
    ORDER BY a.number`.execute(db);
  const total: SweepCounts = { reminded: 0, escalated: 0, texts: 0 };
  for (const a of due.rows) {
    await db.transaction().execute(async (trx) => {
      await lock(trx, a.number);
      // Past the deadline only the escalation is due: a reminder then would be noise.
      const r = a.escalate ? await escalate(trx, a, now, opts.email) : await remind(trx, a, now);
      if (a.escalate) total.escalated += r.orgs;
      else total.reminded += r.orgs;
      total.texts += r.texts;
    });
  }
  return total;
}

const SWEEP_EVERY_MS = 30_000;

/** Started by src/workers.ts: one sweep now, then every 30 s after the last ends; failures are logged and retried. */
export function startAdvisorySweeper(
  deps: { db: Database; clock: Clock; email: boolean; outboxSignal?: { touch(): void } | undefined },
  log: FastifyBaseLogger,
  everyMs = SWEEP_EVERY_MS,
): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const sweep = async () => {
    try {
      const r = await sweepAdvisoryDeadlines(deps.db, deps.clock(), { email: deps.email });
      if (r.texts > 0) deps.outboxSignal?.touch();
      if (r.reminded + r.escalated > 0) log.info(r, 'advisory deadlines swept');
    } catch (err) {
      log.error({ err }, 'advisory deadline sweep failed');
    }
    if (!stopped) timer = setTimeout(() => (running = sweep()), everyMs).unref();
  };
  let running = sweep();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
