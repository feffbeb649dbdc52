// Executors of the machine's effects, in the caller's transaction. Each returns the replies it
// owes the member; texts to anyone else go through the outbox from inside the executor.
import type { Tx } from '../db/connect.js';
import type { Config } from '../config.js';
import type { Member } from '../db/schema.js';
import type { Effect } from './machine.js';
import { replies } from './replies.js';
import { setOptedOut } from './store.js';
import { createAlert } from '../alerts/create.js';
import { ackReply, recordAck, type AckResult } from '../alerts/ack.js';
import { statusReply } from '../alerts/status.js';
import { recordSituation } from '../alerts/situation.js';
import { sendFollowUp } from '../alerts/followup.js';
import { otherChannels } from '../outbox/write.js';
import type { Metrics } from '../metrics/registry.js';
import { advisoryFor, answerAdvisory } from '../advisories/respond.js';
import { advisoryHeader, advisorySummary } from '../advisories/report.js';
import type { Answer } from '../advisories/response.js';
import { markVerified } from '../directory/verification.js';

/** An advisory answer's reply; null when the number turned out not to be an advisory. */
async function advisoryReply(trx: Tx, member: Member, n: number, answer: Answer, words: string, now: Date): Promise<string[] | null> {
  const r = await answerAdvisory(trx, member, n, answer, words, now);
  return r.outcome === 'notAdvisory' ? null : [replies.advisoryAnswer(r)];
}

/** STATUS for an advisory (admins), or null when the alert asked about is not one. */
async function advisoryStatus(trx: Tx, member: Member, alert: number | null, now: Date): Promise<string[] | null> {
  let n = alert;
  if (n === null) {
    if (member.role !== 'admin') return null;
    const newest = await trx.selectFrom('alerts').select(['number', 'kind']).orderBy('number', 'desc').limit(1).executeTakeFirst();
    if (!newest || newest.kind !== 'advisory') return null;
    n = newest.number;
  }
  const h = await advisoryFor(trx, member.id, n, false);
  if (h === null) return null;
  if (member.role !== 'admin') return [replies.advisoryStatusAdminsOnly(h)];
  const header = await advisoryHeader(trx, h);
  return header ? [replies.advisoryStatus(header, await advisorySummary(trx, h, now))] : null;
}

/** `deps.metrics`: counts alerts and ACKs; the caller's (afterCommit) counts them once its transaction commits. */
/** `done`: the ACK the inbound intake already ran for this text (converse.ackFirst), and what it found. */
export async function executeEffect(
  trx: Tx,
  deps: { config: Config; metrics?: Metrics },
  member: Member,
  effect: Effect,
  now: Date,
  done?: { alert: number | null; result: AckResult },
): Promise<string[]> {
  switch (effect.kind) {
    case 'ack': {
      // One statement finds the target, and acknowledges it unless it is an advisory (ack.ts).
      let r = done && done.alert === effect.alert ? done.result : await recordAck(trx, member.id, effect.alert, now);
      if (r.outcome === 'advisory') {
        const a = await advisoryReply(trx, member, r.alert, 'ack', effect.text ?? '', now);
        if (a) return a;
        r = await recordAck(trx, member.id, effect.alert, now, { advisories: 'ignore' });
        if (r.outcome === 'advisory') throw new Error('recordAck answered advisory when told to ignore advisories');
      }
      if (r.outcome === 'acknowledged') deps.metrics?.acknowledged();
      return [ackReply(r)];
    }
    case 'status':
      return (await advisoryStatus(trx, member, effect.alert, now)) ?? [await statusReply(trx, member, effect.alert, now)];
    case 'resolved': {
      const adv = await advisoryFor(trx, member.id, effect.alert, false);
      const a = adv === null ? null : await advisoryReply(trx, member, adv, 'resolved', effect.text, now);
      if (a) return a;
      return [effect.alert === null ? replies.resolvedNothingOpen() : replies.resolvedNotAdvisory(effect.alert)];
    }
    case 'situation': {
      const adv = await advisoryFor(trx, member.id, effect.alert, false);
      const a = adv === null ? null : await advisoryReply(trx, member, adv, effect.situation, effect.text, now);
      if (a) return a;
      const r = await recordSituation(trx, member, effect.alert, effect.situation, effect.text, now);
      switch (r.outcome) {
        case 'recorded':
          if (r.firstAck) deps.metrics?.acknowledged();
          return [replies.situationRecorded(r.alert, r.situation, r.firstAck, r.relayedTo)];
        case 'nothingOpen':
          return [replies.situationNothingOpen()];
        case 'notReceived':
          return [replies.situationNotReceived(r.alert, r.ownAlert)];
        case 'noSuchAlert':
          return [replies.noSuchAlert(r.alert)];
      }
      break; // unreachable: every outcome returns
    }
    case 'optOut':
      await setOptedOut(trx, member.id, true, now);
      return [];
    case 'optIn':
      await setOptedOut(trx, member.id, false, now);
      return [];
    case 'verify':
      return [replies.joined(await markVerified(trx, member.id, now), member.opted_out)];
    case 'createAlert': {
      const { alert, recipientCount } = await createAlert(
        trx,
        { raiserId: member.id, raiserName: member.name, raiserOrg: member.organisation, summary: effect.summary, exercise: effect.exercise, source: 'sms' },
        now,
        otherChannels(deps.config), // the forum post and member emails, queued in this transaction too
      );
      deps.metrics?.alertRaised(alert.source, alert.exercise);
      return [replies.alertSent(alert.number, recipientCount, alert.exercise)];
    }
    case 'sendUpdate':
    case 'allClear': {
      const kind = effect.kind === 'sendUpdate' ? 'update' : 'allclear';
      const r = await sendFollowUp(trx, kind, member, effect.alert, effect.text, now, otherChannels(deps.config));
      if (r.outcome === 'noSuchAlert') return [replies.noSuchAlert(effect.alert)];
      if (r.outcome === 'closed') return [replies.alertClosed(effect.alert)];
      return [kind === 'update' ? replies.updateSent(effect.alert, r.recipients) : replies.allclearSent(effect.alert, r.recipients)];
    }
  }
}
