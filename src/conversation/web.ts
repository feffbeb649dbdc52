// Raise, UPDATE and ALLCLEAR from the dashboard, by the text conversation's rules: the same checks
// (src/conversation/machine.ts: raiseRefusal, followUpRefusal), exercise mode, the same texts
// (broadcastText, updateText, allclearText) and the same writers (createAlert, sendFollowUp).
// Two steps, as by text: preview (the exact text and how many members it reaches), then send with
// the previewed text, which must still be what would go out (else 409: look again).
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import type { Config } from '../config.js';
import type { Member } from '../db/schema.js';
import { followUpRefusal, MAX_DESCRIPTION, raiseRefusal, type StepContext } from './machine.js';
import { raisesInLastHour } from './store.js';
import { replies } from './replies.js';
import { audienceSize, createAlert } from '../alerts/create.js';
import { broadcastText } from '../alerts/text.js';
import { alertTarget, allclearText, sendFollowUp, updateText } from '../alerts/followup.js';
import { exerciseModeOn } from '../alerts/exercise.js';
import { otherChannels } from '../outbox/write.js';

export type WebAction =
  | { kind: 'raise'; summary: string; exercise: boolean; thresholdMet: boolean }
  | { kind: 'update'; alert: number; text: string }
  | { kind: 'allclear'; alert: number; text: string };

export interface WebPreview {
  kind: WebAction['kind'];
  /** The text every recipient will get, word for word. */
  text: string;
  /** Members it reaches now. */
  reach: number;
  exercise: boolean;
  /** The alert it raises (its likely number) or follows up. */
  alert: number;
}

export type Refusal = { ok: false; status: 400 | 404 | 409 | 429; reason: string };

const refuse = (status: Refusal['status'], reason: string): Refusal => ({ ok: false, status, reason });

/** What the action would send now, or why it may not. */
export async function previewAction(trx: Tx, config: Config, admin: Member, a: WebAction, now: Date): Promise<{ ok: true; preview: WebPreview } | Refusal> {
  if (admin.role !== 'admin') return refuse(400, 'Only an admin member can act from the dashboard.');
  if (a.kind === 'raise') {
    if (!a.thresholdMet) return refuse(400, replies.belowThreshold(config.discourse?.url ?? null));
    const summary = a.summary.trim();
    const wording = raiseRefusal(summary, 0, Number.POSITIVE_INFINITY);
    if (wording) return refuse(400, wording);
    const limit = raiseRefusal(summary, await raisesInLastHour(trx, admin.id, now), config.maxRaisesPerHour);
    if (limit) return refuse(429, limit);
    // Exercise mode (POST /api/exercise) makes every new raise an exercise, as by text.
    const exercise = a.exercise || (await exerciseModeOn(trx));
    const r = await sql<{ next: number }>`SELECT coalesce(max(number), 0) + 1 AS next FROM alerts`.execute(trx);
    const number = r.rows[0]!.next;
    const text = broadcastText({ number, raiserName: admin.name, raiserOrg: admin.organisation, summary, exercise });
    return { ok: true, preview: { kind: 'raise', text, reach: await audienceSize(trx, admin.id), exercise, alert: number } };
  }
  const target = await alertTarget(trx, a.alert);
  const ctx: StepContext = {
    member: { id: admin.id, role: admin.role },
    settings: { thresholdQuestion: config.thresholdQuestion, raiseExpiryMinutes: config.raiseExpiryMinutes, maxRaisesPerHour: config.maxRaisesPerHour, forumUrl: null },
    code: '',
    alert: target,
  };
  const refusal = followUpRefusal(a.kind, a.alert, ctx);
  if (refusal) return refuse(target === null ? 404 : 409, refusal);
  const text = a.text.trim();
  if (a.kind === 'update' && text === '') return refuse(400, replies.usageUpdate());
  if (text.length > MAX_DESCRIPTION) return refuse(400, replies.descriptionTooLong(text.length, MAX_DESCRIPTION));
  const row = await trx.selectFrom('alerts').select(['exercise', 'kind']).where('number', '=', a.alert).executeTakeFirstOrThrow();
  const words = { number: a.alert, exercise: row.exercise, advisory: row.kind === 'advisory', senderName: admin.name, senderOrg: admin.organisation, text };
  return {
    ok: true,
    preview: { kind: a.kind, text: a.kind === 'update' ? updateText(words) : allclearText(words), reach: target!.reach, exercise: row.exercise, alert: a.alert },
  };
}

export interface WebSent {
  ok: true;
  alert: number;
  recipients: number;
  exercise: boolean;
  /** What the admin would have been texted: "Alert #12 sent to 41 members". */
  message: string;
}

/**
 * Sends what was previewed, in the caller's transaction: refused (409) when the text that would
 * go now differs from `previewedText` (another alert took the number, exercise mode changed, the
 * alert closed), so what goes out is exactly what the admin confirmed.
 */
export async function performAction(trx: Tx, config: Config, admin: Member, a: WebAction, previewedText: string, now: Date): Promise<WebSent | Refusal> {
  const p = await previewAction(trx, config, admin, a, now);
  if (!p.ok) return p;
  if (p.preview.text !== previewedText) return refuse(409, 'What would be sent has changed since the preview (another alert, exercise mode or the alert itself). Check the new preview and confirm again.');
  if (a.kind === 'raise') {
    const { alert, recipientCount } = await createAlert(
      trx,
      { raiserId: admin.id, raiserName: admin.name, raiserOrg: admin.organisation, summary: a.summary.trim(), exercise: p.preview.exercise, source: 'admin' },
      now,
      otherChannels(config),
    );
    return { ok: true, alert: alert.number, recipients: recipientCount, exercise: alert.exercise, message: replies.alertSent(alert.number, recipientCount, alert.exercise) };
  }
  const r = await sendFollowUp(trx, a.kind, admin, a.alert, a.text.trim(), now, otherChannels(config));
  if (r.outcome === 'noSuchAlert') return refuse(404, replies.noSuchAlert(a.alert));
  if (r.outcome === 'closed') return refuse(409, replies.alertClosed(a.alert));
  const message = a.kind === 'update' ? replies.updateSent(a.alert, r.recipients) : replies.allclearSent(a.alert, r.recipients);
  return { ok: true, alert: a.alert, recipients: r.recipients, exercise: p.preview.exercise, message };
}
