// Escalation to deputies: a peer alert goes to every member except the organisations' deputy
// contacts; when nobody at an organisation has acknowledged after ESCALATE_AFTER_MINUTES, its
// deputies get the alert, once.
//
// Once, with any number of instances and across a crash: the organisation's alert_organisations
// row is claimed (FOR UPDATE SKIP LOCKED, re-checked escalated_at IS NULL) and marked in the same
// transaction that queues the deputies' texts and writes their deliveries. A crash before commit
// leaves nothing; after commit the mark stops every later sweep. Set-based, like reminders.ts;
// the texts are written through the outbox's own enqueue.
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/connect.js';
import { repeat, type Clock } from '../clock.js';
import { enqueueSms } from '../outbox/write.js';
import { broadcastText } from './text.js';
import { normaliseGsm7 } from '../text/gsm7.js';

// Organisations claimed per transaction; the sweep loops until none are due.
const BATCH = 500;

/** "Deputy for Ancoats Surgery (P84001): nobody there has acknowledged yet. " before the alert text. */
export function escalationText(alertText: string, org: { odsCode: string; name: string }): string {
  let name = normaliseGsm7(org.name).replace(/\s+/g, ' ').trim();
  if (name.length > 40) name = name.slice(0, 37).trimEnd() + '...';
  return `Deputy for ${name} (${org.odsCode}): nobody there has acknowledged yet. ${alertText}`;
}

export interface EscalationResult {
  organisations: number;
  deputies: number;
}

/**
 * Escalates every due organisation and returns how many organisations and deputies. Due: the alert
 * is open and was raised at least `escalateAfterMinutes` before `now`, the organisation is not
 * escalated yet, and no delivery of the alert to a member of it is acknowledged. An organisation
 * with no deputy is marked all the same (it is counted, and never looked at again).
 */
export async function sweepEscalations(
  db: Database,
  config: Pick<Config, 'escalateAfterMinutes'>,
  now: Date,
  batch = BATCH,
): Promise<EscalationResult> {
  const raisedBefore = new Date(now.getTime() - config.escalateAfterMinutes * 60_000);
  const total: EscalationResult = { organisations: 0, deputies: 0 };
  for (;;) {
    const r = await db.transaction().execute(async (trx) => {
      const marked = await sql<{ alert_number: number; ods_code: string; org_name: string | null }>`
        WITH due AS (
          SELECT ao.alert_number, ao.ods_code
          FROM alert_organisations ao
          JOIN alerts a ON a.number = ao.alert_number AND a.status = 'open' AND a.created_at <= ${raisedBefore}
          WHERE ao.escalated_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM deliveries d
                            WHERE d.alert_number = ao.alert_number AND d.ods_code = ao.ods_code
                              AND d.acked_at IS NOT NULL)
          ORDER BY ao.alert_number, ao.ods_code
          LIMIT ${batch}
          FOR UPDATE OF ao SKIP LOCKED
        )
        UPDATE alert_organisations ao SET escalated_at = ${now}
        FROM due
        WHERE ao.alert_number = due.alert_number AND ao.ods_code = due.ods_code AND ao.escalated_at IS NULL
        RETURNING ao.alert_number, ao.ods_code,
                  (SELECT name FROM organisations o WHERE o.ods_code = ao.ods_code) AS org_name`.execute(trx);
      if (marked.rows.length === 0) return { organisations: 0, deputies: 0, more: false };

      const numbers = [...new Set(marked.rows.map((m) => m.alert_number))];
      const alerts = await trx
        .selectFrom('alerts')
        .select(['number', 'raiser_name', 'raiser_org', 'summary', 'exercise'])
        .where('number', 'in', numbers)
        .execute();
      const textOf = new Map(
        alerts.map((a) => [
          a.number,
          broadcastText({ number: a.number, raiserName: a.raiser_name, raiserOrg: a.raiser_org, summary: a.summary, exercise: a.exercise }),
        ]),
      );
      const keys = marked.rows.map((m) => m.alert_number);
      const codes = marked.rows.map((m) => m.ods_code);
      const bodies = marked.rows.map((m) => escalationText(textOf.get(m.alert_number)!, { odsCode: m.ods_code, name: m.org_name ?? m.ods_code }));

      // Deputies of the marked organisations as they are now; one who already has the alert
      // (raised it, or was a recipient before becoming a deputy) is not sent it again.
      const deputies = await sql<{ alert_number: number; body: string; id: number; phone: string; ods_code: string }>`
        WITH marked AS (
          SELECT * FROM unnest(${keys}::int[], ${codes}::text[], ${bodies}::text[]) AS t(alert_number, ods_code, body)
        )
        SELECT k.alert_number, k.body, m.id, m.phone, m.ods_code
        FROM marked k
        JOIN members m ON m.ods_code = k.ods_code AND m.contact_role = 'deputy' AND NOT m.opted_out
        JOIN alerts a ON a.number = k.alert_number
        WHERE m.id IS DISTINCT FROM a.raised_by
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_number = k.alert_number AND d.member_id = m.id)
        ORDER BY k.alert_number, m.id`.execute(trx);
      const ids = await enqueueSms(
        trx,
        deputies.rows.map((d) => ({ memberId: d.id, to: d.phone, body: d.body, kind: 'alert' as const, alertNumber: d.alert_number })),
        now,
      );
      if (ids.length > 0) {
        await sql`
          INSERT INTO deliveries (alert_number, member_id, sms_outbox_id, created_at, ods_code, contact_role, escalated)
          SELECT o.alert_number, o.member_id, o.id, ${now}, m.ods_code, 'deputy', true
          FROM outbox o JOIN members m ON m.id = o.member_id
          WHERE o.id = ANY(${ids}::bigint[])`.execute(trx);
        const perAlert = new Map<number, number>();
        for (const d of deputies.rows) perAlert.set(d.alert_number, (perAlert.get(d.alert_number) ?? 0) + 1);
        for (const [number, n] of perAlert) {
          await trx
            .updateTable('alerts')
            .set((eb) => ({ recipient_count: eb('recipient_count', '+', n) }))
            .where('number', '=', number)
            .execute();
        }
      }
      return { organisations: marked.rows.length, deputies: ids.length, more: marked.rows.length === batch };
    });
    total.organisations += r.organisations;
    total.deputies += r.deputies;
    if (!r.more) return total;
  }
}

const SWEEP_EVERY_MS = 30_000;

/** Started by src/workers.ts: one sweep now, then one every 30 s after the last ends; failures are logged and retried. */
export function startEscalationSweeper(
  deps: { db: Database; config: Pick<Config, 'escalateAfterMinutes'>; clock: Clock; outboxSignal?: { touch(): void } | undefined },
  log: FastifyBaseLogger,
  everyMs = SWEEP_EVERY_MS,
): { stop(): Promise<void> } {
  return repeat(async () => {
    try {
      const r = await sweepEscalations(deps.db, deps.config, deps.clock());
      if (r.deputies > 0) deps.outboxSignal?.touch();
      if (r.organisations > 0) log.info(r, 'alert escalated to deputies of uncovered organisations');
    } catch (err) {
      log.error({ err }, 'escalation sweep failed');
    }
  }, everyMs);
}
