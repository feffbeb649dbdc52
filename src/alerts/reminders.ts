// One reminder text to each recipient who has not acknowledged an open alert after the delay.
// Claim and enqueue are one statement: the UPDATE that sets reminded_at feeds the INSERT into the
// outbox, so a reminder exists exactly when reminded_at does, and two sweepers (two instances, or
// an overlapping tick) can never both remind the same member.
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/connect.js';
import { repeat, type Clock } from '../clock.js';
import { smsRowsFrom } from '../outbox/write.js';

export interface ReminderAlert {
  number: number;
  raiserName: string;
  raiserOrg: string;
  summary: string;
  exercise: boolean;
}

const SINGLE_SMS = 160;

/** "Reminder: BATSIGNAL #12 from Jane Smith (Northtown Trust): <summary>. Reply ACK 12." — one text where it fits. */
export function reminderText(a: ReminderAlert): string {
  const from = a.raiserOrg ? `${a.raiserName} (${a.raiserOrg})` : a.raiserName;
  const head = `Reminder: ${a.exercise ? 'EXERCISE ' : ''}BATSIGNAL #${a.number} from ${from}: `;
  const tail = `. Reply ACK ${a.number}.`;
  let summary = a.summary.trim().replace(/[.\s]+$/, '');
  const room = SINGLE_SMS - head.length - tail.length;
  // The member already has the full text; the reminder only has to say which alert it is.
  if (summary.length > room) summary = summary.slice(0, Math.max(room - 3, 20)).trimEnd() + '...';
  return head + summary + tail;
}

// Upper bound per statement so one sweep's transaction stays short; the sweep loops until done.
const BATCH = 2000;

/**
 * Queues due reminders and returns how many. Due: the alert is open, the member has not
 * acknowledged, has not been reminded, has not opted out, and their alert text was sent at
 * least `config.reminderMinutes` before `now` (a text still queued or failed to send gets no
 * reminder: the dispatcher is still retrying it, or the number cannot be reached).
 */
export async function sweepReminders(db: Database, config: Pick<Config, 'reminderMinutes'>, now: Date): Promise<number> {
  const sentBefore = new Date(now.getTime() - config.reminderMinutes * 60_000);
  const open = await db
    .selectFrom('alerts')
    .select(['number', 'raiser_name', 'raiser_org', 'summary', 'exercise'])
    .where('status', '=', 'open')
    .where('kind', '=', 'peer') // advisories have their own deadlines (src/advisories/sweep.ts)
    .where('created_at', '<=', sentBefore)
    .execute();
  if (open.length === 0) return 0;
  const numbers = open.map((a) => a.number);
  const bodies = open.map((a) =>
    reminderText({ number: a.number, raiserName: a.raiser_name, raiserOrg: a.raiser_org, summary: a.summary, exercise: a.exercise }),
  );

  let total = 0;
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      const r = await sql<{ n: number }>`
        WITH texts AS (
          SELECT * FROM unnest(${numbers}::int[], ${bodies}::text[]) AS t(alert_number, body)
        ), due AS (
          SELECT d.alert_number, d.member_id
          FROM deliveries d
          JOIN texts t ON t.alert_number = d.alert_number
          JOIN alerts a ON a.number = d.alert_number AND a.status = 'open' AND a.kind = 'peer'
          JOIN members m ON m.id = d.member_id AND NOT m.opted_out
          JOIN outbox o ON o.id = d.sms_outbox_id AND o.state = 'sent' AND o.sent_at <= ${sentBefore}
          WHERE d.acked_at IS NULL AND d.reminded_at IS NULL
          ORDER BY d.alert_number, d.member_id
          LIMIT ${BATCH}
          FOR UPDATE OF d SKIP LOCKED
        ), marked AS (
          UPDATE deliveries d SET reminded_at = ${now}
          FROM due
          WHERE d.alert_number = due.alert_number AND d.member_id = due.member_id
            AND d.acked_at IS NULL AND d.reminded_at IS NULL
          RETURNING d.alert_number, d.member_id
        ), queued AS (${smsRowsFrom('reminder', 'per row', now, sql`
          SELECT k.member_id, m.phone AS recipient, t.body, k.alert_number
          FROM marked k
          JOIN members m ON m.id = k.member_id
          JOIN texts t ON t.alert_number = k.alert_number`)}
        )
        SELECT count(*)::int AS n FROM queued`.execute(trx);
      const n = r.rows[0]!.n;
      return n;
    });
    total += n;
    if (n < BATCH) return total;
  }
}

const SWEEP_EVERY_MS = 30_000;

/** Started by src/workers.ts: one sweep now, then one every 30 s after the last ends; failures are logged and retried. */
export function startReminderSweeper(
  deps: { db: Database; config: Pick<Config, 'reminderMinutes'>; clock: Clock; outboxSignal?: { touch(): void } | undefined },
  log: FastifyBaseLogger,
  everyMs = SWEEP_EVERY_MS,
): { stop(): Promise<void> } {
  return repeat(async () => {
    try {
      const n = await sweepReminders(deps.db, deps.config, deps.clock());
      if (n > 0) {
        deps.outboxSignal?.touch();
        log.info({ reminders: n }, 'reminders queued');
      }
    } catch (err) {
      log.error({ err }, 'reminder sweep failed');
    }
  }, everyMs);
}
