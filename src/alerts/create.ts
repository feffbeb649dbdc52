// Creating an alert: the alert, one delivery per recipient and every outbound message, in the
// caller's transaction, so a confirmed alert and its fan-out exist together or not at all.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import type { Alert, AlertSource } from '../db/schema.js';
import { broadcastText } from './text.js';
import { nextAlertNumber } from '../db/alert-number.js';
import { smsRowsFrom, enqueueOtherChannels, type OtherChannels } from '../outbox/write.js';

export interface NewAlert {
  raiserId: number | null;
  raiserName: string;
  raiserOrg: string;
  summary: string;
  exercise: boolean;
  source: AlertSource;
  forumTopicId?: number | null;
  forumTopicUrl?: string | null;
}

export interface CreatedAlert {
  alert: Alert;
  recipientCount: number;
}

/**
 * Recipients of a new alert: every member not opted out, except the one raising it and the
 * organisations' deputy contacts, who are held back (src/alerts/escalation.ts sends it to them
 * when nobody at their organisation has acknowledged in time).
 */
export async function audienceSize(trx: Tx, raiserId: number | null): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM members
    WHERE NOT opted_out AND id IS DISTINCT FROM ${raiserId} AND contact_role <> 'deputy'`.execute(trx);
  return r.rows[0]!.n;
}

/** `channels`: which of forum and email to queue as well (otherChannels(config)); absent: texts only. */
export async function createAlert(trx: Tx, a: NewAlert, now: Date, channels?: OtherChannels): Promise<CreatedAlert> {
  // Numbers are what members type (ACK 12): gapless, shared with advisories (src/db/alert-number.ts).
  const next = await nextAlertNumber(trx);

  const body = broadcastText({ number: next, raiserName: a.raiserName, raiserOrg: a.raiserOrg, summary: a.summary, exercise: a.exercise });
  await trx
    .insertInto('alerts')
    .values({
      number: next,
      raised_by: a.raiserId,
      raiser_name: a.raiserName,
      raiser_org: a.raiserOrg,
      summary: a.summary,
      exercise: a.exercise,
      source: a.source,
      forum_topic_id: a.forumTopicId ?? null,
      forum_topic_url: a.forumTopicUrl ?? null,
      created_at: now,
    })
    .execute();

  // One set-based statement for the whole fan-out: 100,000 recipients without a round trip each.
  const fanout = await sql<{ n: number }>`
    WITH o AS (${smsRowsFrom('alert', next, now, sql`
      SELECT m.id AS member_id, m.phone AS recipient, ${body}::text AS body
      FROM members m
      WHERE NOT m.opted_out AND m.id IS DISTINCT FROM ${a.raiserId} AND m.contact_role <> 'deputy'
      ORDER BY m.id`)}
    ), d AS (
      -- The recipient's organisation and role as they are now: coverage counts by these.
      INSERT INTO deliveries (alert_number, member_id, sms_outbox_id, created_at, ods_code, contact_role)
      SELECT ${next}, o.member_id, o.id, ${now}, m.ods_code, m.contact_role
      FROM o JOIN members m ON m.id = o.member_id
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM d`.execute(trx);
  const recipientCount = fanout.rows[0]!.n;
  // Every organisation the alert concerns: recipients' and held-back deputies'.
  await sql`
    INSERT INTO alert_organisations (alert_number, ods_code)
    SELECT DISTINCT ${next}::int, m.ods_code FROM members m
    WHERE m.ods_code IS NOT NULL AND NOT m.opted_out AND m.id IS DISTINCT FROM ${a.raiserId}`.execute(trx);

  const alert = await trx
    .updateTable('alerts')
    .set({ recipient_count: recipientCount })
    .where('number', '=', next)
    .returningAll()
    .executeTakeFirstOrThrow();
  await enqueueOtherChannels(trx, alert, a.raiserId, channels);
  return { alert, recipientCount };
}
