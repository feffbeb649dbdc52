// Deadlines, swept: at half the window a reminder to the contacts of organisations with no
// response; at the deadline the advisory goes to their deputies (and, for an organisation reached
// via its support unit, to its own primary contacts). Each happens once per organisation: the
// UPDATE that marks reminded_at / escalated_at feeds the outbox INSERT in the same statement, and a
// per-advisory transaction lock makes a second instance wait and then find nothing left, so a
// contact gets one text per step even with two instances, and a restart re-sends nothing.
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Tx } from '../db/connect.js';
import { repeat, type Clock } from '../clock.js';
import { enqueueEmailToMembers, enqueueSmsToMembers } from '../outbox/write.js';
import { recordDeliveries } from './issue.js';
import type { Severity } from './deadline.js';
import { advisoryEscalationText, advisoryReminderText, advisorySubject, type AdvisoryWords } from './text.js';

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
  const r = await sql<{ member_id: number; waiting: number; total: number; orgs: number }>`
    WITH marked AS (
      UPDATE advisory_organisations o SET reminded_at = ${now}
      WHERE o.advisory = ${a.number} AND o.response = 'no_response' AND o.reminded_at IS NULL AND o.escalated_at IS NULL
      RETURNING o.ods_code
    )
    SELECT c.member_id, count(*)::int AS waiting,
           (SELECT count(*) FROM advisory_contacts t WHERE t.advisory = ${a.number} AND t.member_id = c.member_id)::int AS total,
           (SELECT count(*) FROM marked)::int AS orgs
    FROM marked JOIN advisory_contacts c ON c.advisory = ${a.number} AND c.ods_code = marked.ods_code
    GROUP BY c.member_id
    ORDER BY c.member_id`.execute(trx);
  const queued = await enqueueSmsToMembers(trx, {
    kind: 'advisory_reminder',
    alertNumber: a.number,
    now,
    memberIds: r.rows.map((x) => x.member_id),
    bodies: r.rows.map((x) => advisoryReminderText(w, x.waiting, x.total)),
  });
  return { orgs: r.rows[0]?.orgs ?? 0, texts: queued.length };
}

async function escalate(trx: Tx, a: Due, now: Date, email: boolean): Promise<{ orgs: number; texts: number }> {
  const w = words(a);
  const marked = await sql<{ ods_code: string }>`
    UPDATE advisory_organisations o SET escalated_at = ${now}
    WHERE o.advisory = ${a.number} AND o.response = 'no_response' AND o.escalated_at IS NULL
    RETURNING o.ods_code`.execute(trx);
  if (marked.rows.length === 0) return { orgs: 0, texts: 0 };
  // Deputies of each organisation, and its own primaries where it was reached via its support unit.
  const r = await sql<{ member_id: number; names: string[] }>`
    WITH extra AS (
      SELECT DISTINCT ON (m.id, o.ods_code) m.id AS member_id, o.ods_code, o.name,
             CASE WHEN m.contact_role = 'deputy' THEN 'deputy' ELSE 'own_primary' END AS route
      FROM advisory_organisations o
      JOIN members m ON m.ods_code = o.ods_code
        AND (m.contact_role = 'deputy' OR (m.contact_role = 'primary' AND o.routing = 'via_support'))
      WHERE o.advisory = ${a.number} AND o.ods_code = ANY(${marked.rows.map((x) => x.ods_code)}::text[])
        AND (NOT m.opted_out OR (${email}::boolean AND m.email IS NOT NULL AND btrim(m.email) <> ''))
    ), added AS (
      INSERT INTO advisory_contacts (advisory, member_id, ods_code, route, added_at)
      SELECT ${a.number}, member_id, ods_code, route, ${now} FROM extra
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT member_id, array_agg(name ORDER BY name) AS names FROM extra GROUP BY member_id ORDER BY member_id`.execute(trx);
  const memberIds = r.rows.map((x) => x.member_id);
  const queued = await enqueueSmsToMembers(trx, {
    kind: 'advisory_escalation',
    alertNumber: a.number,
    now,
    memberIds,
    bodies: r.rows.map((x) => advisoryEscalationText(w, x.names)),
  });
  await recordDeliveries(trx, a.number, queued, now);
  if (email) await enqueueEmailToMembers(trx, { kind: 'advisory_escalation', alertNumber: a.number, now, memberIds, subject: 'OVERDUE ' + advisorySubject(w) });
  return { orgs: marked.rows.length, texts: queued.length };
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
  return repeat(async () => {
    try {
      const r = await sweepAdvisoryDeadlines(deps.db, deps.clock(), { email: deps.email });
      if (r.texts > 0) deps.outboxSignal?.touch();
      if (r.reminded + r.escalated > 0) log.info(r, 'advisory deadlines swept');
    } catch (err) {
      log.error({ err }, 'advisory deadline sweep failed');
    }
  }, everyMs);
}
