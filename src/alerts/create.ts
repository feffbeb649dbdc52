// Creating an alert: the alert, its first recipients' texts and deliveries (all of them for up to
// FANOUT_INLINE members; the fan-out worker writes the rest from the cursor committed here,
// src/alerts/fanout.ts) and the other channels' rows, in the caller's transaction, so a confirmed
// alert and its fan-out exist together or not at all.
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import type { Alert, AlertSource } from '../db/schema.js';
import { broadcastText } from './text.js';
import { nextAlertNumber } from '../db/alert-number.js';
import { enqueueOtherChannels, type OtherChannels } from '../outbox/write.js';
import { FANOUT_INLINE, audienceAfter, writeBroadcastBatch } from './fanout.js';

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

/** Recipients a new alert raised by `raiserId` would have now (the audience: src/alerts/fanout.ts). */
export const audienceSize = (trx: Tx, raiserId: number | null): Promise<number> => audienceAfter(trx, raiserId);

/**
 * `channels`: which of forum and email to queue as well (otherChannels(config)); absent: texts only.
 * `inline`: recipients written in this transaction (tests lower it to exercise the fan-out worker).
 */
export async function createAlert(trx: Tx, a: NewAlert, now: Date, channels?: OtherChannels, inline = FANOUT_INLINE): Promise<CreatedAlert> {
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

  // The first FANOUT_INLINE recipients now, in one statement; a larger audience is continued by
  // the fan-out worker after this commits (src/alerts/fanout.ts), from the cursor set here.
  const first = await writeBroadcastBatch(trx, { number: next, raisedBy: a.raiserId, body }, 0, inline, now, false);
  const recipientCount = first.written + (first.done ? 0 : await audienceAfter(trx, a.raiserId, first.lastId!));
  // Every organisation the alert concerns: recipients' and held-back deputies'.
  await sql`
    INSERT INTO alert_organisations (alert_number, ods_code)
    SELECT DISTINCT ${next}::int, m.ods_code FROM members m
    WHERE m.ods_code IS NOT NULL AND NOT m.opted_out AND m.id IS DISTINCT FROM ${a.raiserId}`.execute(trx);

  const alert = await trx
    .updateTable('alerts')
    .set({ recipient_count: recipientCount, fanout_after: first.done ? null : first.lastId, email_fanout: !first.done && channels?.smtp === true })
    .where('number', '=', next)
    .returningAll()
    .executeTakeFirstOrThrow();
  // Emails go with the texts' batches: these members' now, the rest with the worker's batches.
  await enqueueOtherChannels(trx, alert, a.raiserId, channels, first.done ? null : first.lastId);
  return { alert, recipientCount };
}
