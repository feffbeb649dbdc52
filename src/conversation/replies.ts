// Every reply of the conversation, in one place. Pure.
// Short, plain, GSM-7 only (no curly quotes, dashes or emoji: test/conversation-replies.test.ts),
// and each one says what to send next.

import type { SituationWord } from './parse.js';
import type { AnswerResult } from '../advisories/respond.js';
import type { AdvisoryHeader, AdvisorySummary } from '../advisories/report.js';
import { formatDayTime, headline } from '../advisories/text.js';

export type FlowKind = 'raise' | 'update' | 'allclear';

const SITUATION_WORDS: Record<SituationWord, string> = { affected: 'AFFECTED', not_affected: 'NOT AFFECTED', need_help: 'NEED HELP' };

const n = (x: number) => x.toLocaleString('en-GB');
const members = (x: number) => `${n(x)} member${x === 1 ? '' : 's'}`;

export const replies = {
  help: (pending: string | null) =>
    'Batsignal: RAISE to raise an alert. ACK or ACK 12 to acknowledge. ' +
    'AFFECTED 12, NOT AFFECTED 12 or NEED HELP 12 <text> to say how it is at your place. STATUS 12 for counts. ' +
    'UPDATE 12 <text> or ALLCLEAR 12 to follow up your alert. STOP to opt out, START to rejoin.' +
    (pending ? ` ${pending}` : ''),
  /** A multipart text over the cap (src/inbound/concat.ts MAX_TEXT_PARTS): not read at all. */
  textTooLong: (parts: number, max: number) =>
    `Your text was too long to read (${n(parts)} parts; at most ${n(max)}). Nothing was done. Please send it again, shorter.`,
  notUnderstood: () => 'Not understood. To acknowledge an alert reply ACK 12 (its number). To raise one send RAISE. HELP lists all commands.',

  // raise
  /** Prefix when a new RAISE/UPDATE/ALLCLEAR replaces one still pending. */
  replaced: (kind: FlowKind | null) => (kind ? `Earlier ${flowName(kind)} cancelled. ` : ''),
  threshold: (question: string, exercise: boolean) => `${exercise ? 'EXERCISE raise. ' : ''}${question}`,
  askDescription: () => 'Describe the incident in one text: what, where, what to look for. No patient data. Or send CANCEL.',
  belowThreshold: (forumUrl: string | null) =>
    `Thank you. Below the threshold, so no alert was sent. Ask peers for advice on the forum${forumUrl ? `: ${forumUrl}` : ''}. Send RAISE if it changes.`,
  descriptionTooShort: () => 'Please describe the incident in a few words: what, where, what to look for. Or send CANCEL.',
  descriptionTooLong: (length: number, max: number) =>
    `That is ${n(length)} characters; please send it again in under ${n(max)}. Or send CANCEL.`,
  confirmRaise: (summary: string, exercise: boolean, audience: number, code: string) =>
    `${exercise ? 'EXERCISE alert' : 'Alert'} to ${members(audience)}: "${summary}". Reply CONFIRM ${code} to send it, or CANCEL.`,
  answerYesNo: () => 'Please reply YES or NO to the threshold question, or send CANCEL.',
  raiseLimit: (max: number) =>
    `You have raised ${max} alert${max === 1 ? '' : 's'} in the last hour, the most allowed. Nothing was sent. Post on the forum or ask an admin to raise it.`,
  alertSent: (alert: number, recipients: number, exercise = false) =>
    `${exercise ? 'EXERCISE ' : ''}Alert #${alert} sent to ${members(recipients)}. Text STATUS ${alert} for acknowledgements, UPDATE ${alert} <text> to follow up, ALLCLEAR ${alert} to stand down.`,

  // confirmation
  confirmNudge: () => 'Reply CONFIRM and the code we sent to go ahead, or CANCEL.',
  wrongCode: (triesLeft: number) =>
    `That code is not right. Reply CONFIRM and the code we sent (${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left), or CANCEL.`,
  tooManyWrongCodes: (kind: FlowKind) =>
    `Three wrong codes: the ${flowName(kind)} is cancelled and nothing was sent. ${startAgain(kind)}`,
  nothingToConfirm: () => 'Nothing to confirm. Send RAISE to raise an alert, or HELP.',
  nothingToAnswer: () => 'Nothing to answer: no raise in progress. Send RAISE to raise an alert, or HELP.',

  // any step
  cancelled: (kind: FlowKind) => `Cancelled: the ${flowName(kind)} was not sent. ${startAgain(kind)}`,
  nothingToCancel: () => 'Nothing to cancel. Send HELP for the commands.',
  expired: (kind: FlowKind, minutes: number) =>
    `Your ${flowName(kind)} expired after ${minutes} minutes without a reply. Nothing was sent. ${startAgain(kind)}`,

  // follow-ups
  usageUpdate: () => 'To send a follow-up: UPDATE then the alert number and the text, e.g. UPDATE 12 Patch released.',
  usageAllclear: () => 'To stand an alert down: ALLCLEAR then the alert number, e.g. ALLCLEAR 12 Contained.',
  noSuchAlert: (alert: number) => `There is no alert #${alert}. Check the number in the alert text.`,
  notYours: (alert: number, what: 'UPDATE' | 'ALLCLEAR') =>
    `Only the member who raised #${alert} or an admin can send ${what} for it.`,
  alertClosed: (alert: number) => `Alert #${alert} is closed (all clear sent). Nothing was sent.`,
  confirmUpdate: (alert: number, text: string, reach: number, code: string) =>
    `Update to the ${members(reach)} who received #${alert}: "${text}". Reply CONFIRM ${code} to send it, or CANCEL.`,
  confirmAllclear: (alert: number, text: string, reach: number, code: string) =>
    `All clear for #${alert} to ${members(reach)}${text ? `: "${text}"` : ''}. It closes the alert. Reply CONFIRM ${code} to send it, or CANCEL.`,
  updateSent: (alert: number, recipients: number) =>
    `Update for #${alert} sent to ${members(recipients)}. Text STATUS ${alert} for acknowledgements.`,
  allclearSent: (alert: number, recipients: number) =>
    `All clear for #${alert} sent to ${members(recipients)}; the alert is closed.`,

  // situation (AFFECTED / NOT AFFECTED / NEED HELP)
  situationRecorded: (alert: number, situation: SituationWord, firstAck: boolean, relayedTo: 'raiser' | 'admins' | 'none' | null) => {
    const head = `Recorded for #${alert}: ${SITUATION_WORDS[situation]}${firstAck ? ' (and acknowledged)' : ''}.`;
    switch (situation) {
      case 'not_affected':
        return `${head} Thank you. Reply AFFECTED ${alert} if that changes.`;
      case 'affected':
        return `${head} Reply NEED HELP ${alert} <what you need> if you need help, NOT AFFECTED ${alert} if that changes.`;
      case 'need_help':
        return relayedTo === 'raiser'
          ? `${head} Your message went to the member who raised it, with your number to call you back.`
          : relayedTo === 'admins'
            ? `${head} Your message went to the Batsignal admins, with your number to call you back.`
            : `${head} Nobody could be texted for it just now; admins see it on the dashboard. Phone your usual contacts too.`;
    }
  },
  situationNothingOpen: () =>
    'Nothing to answer: you have no open alerts. AFFECTED 12, NOT AFFECTED 12 or NEED HELP 12 <text> answer alert #12.',
  situationNotReceived: (alert: number, ownAlert: boolean) =>
    ownAlert
      ? `You raised #${alert}; AFFECTED, NOT AFFECTED and NEED HELP are for its recipients. Text STATUS ${alert} for the picture.`
      : `Alert #${alert} was not sent to you. Reply AFFECTED, NOT AFFECTED or NEED HELP alone for your newest alert.`,

  // advisories (national, by number like alerts)
  advisoryAnswer: (r: Exclude<AnswerResult, { outcome: 'notAdvisory' }>) => advisoryAnswer(r),
  resolvedNotAdvisory: (alert: number) =>
    `RESOLVED is for advisories, and #${alert} is not one. For a peer alert reply AFFECTED ${alert} or NOT AFFECTED ${alert}.`,
  resolvedNothingOpen: () => 'Nothing to resolve: no open advisory was sent to you. RESOLVED 14 answers advisory #14.',
  advisoryStatus: (h: AdvisoryHeader, s: AdvisorySummary) =>
    `${h.exercise ? 'EXERCISE ' : ''}ADVISORY #${h.number} (${h.severity.toUpperCase()}) ${headline(h.title, 40)}` +
    `${h.respondBy ? `, respond by ${formatDayTime(h.respondBy)}` : ''}: ${n(s.targeted)} organisations, ` +
    `${n(s.responded)} responded (${n(s.onTime)} on time), ${n(s.affected)} affected, ${n(s.notAffected)} not affected, ` +
    `${n(s.resolved)} resolved, ${n(s.overdue)} overdue, ${n(s.unreachable)} unreachable` +
    `${s.needHelp > 0 ? `, ${n(s.needHelp)} need${s.needHelp === 1 ? 's' : ''} help` : ''}. Text STATUS ${h.number} to refresh.`,
  advisoryStatusAdminsOnly: (alert: number) => `STATUS for advisory #${alert} is for admins. Send HELP for the commands.`,

  // opt out
  /** JOIN, the reply to the welcome text: the number is verified (alerts never waited for it). */
  joined: (outcome: 'verified' | 'already', optedOut: boolean) =>
    (outcome === 'verified' ? 'Thank you: your number is confirmed for Batsignal alerts.' : 'Your number is already confirmed for Batsignal alerts.') +
    (optedOut ? ' You have opted out of alert texts: text START to get them.' : ' Text HELP for the commands.'),
  stopped: () => 'You will no longer get Batsignal alert texts. Text START to rejoin.',
  started: () => 'You will get Batsignal alert texts again. Text STOP to opt out.',

  // what is pending, for HELP
  pending: (kind: FlowKind, step: 'threshold' | 'description' | 'confirm') =>
    step === 'threshold'
      ? 'Your raise is waiting: reply YES or NO, or CANCEL.'
      : step === 'description'
        ? 'Your raise is waiting for a description, or CANCEL.'
        : `Your ${flowName(kind)} is waiting: reply CONFIRM and the code, or CANCEL.`,
};

const ADVISORY_WORDS = { ack: 'ACK', affected: 'AFFECTED', not_affected: 'NOT AFFECTED', resolved: 'RESOLVED', need_help: 'NEED HELP' } as const;

function advisoryAnswer(r: Exclude<AnswerResult, { outcome: 'notAdvisory' }>): string {
  const a = r.advisory;
  const head = `${a.exercise ? 'EXERCISE ' : ''}Advisory #${a.number}`;
  switch (r.outcome) {
    case 'notReceived':
      return `${head} was not sent to you, so there is nothing to answer for it. Reply ACK alone for your newest alert.`;
    case 'unknownOrganisation': {
      const shown = r.yours.slice(0, 3).join(', ') + (r.yours.length > 3 ? ` and ${n(r.yours.length - 3)} more` : '');
      return `${r.odsCode} is not one of the organisations you received #${a.number} for (yours: ${shown}). Nothing was recorded. Reply without a code to answer for all.`;
    }
    case 'recorded': {
      const scope = r.single ? `${r.single.odsCode} ${headline(r.single.name, 40)}` : `your ${n(r.organisations)} organisations`;
      const word = ADVISORY_WORDS[r.answer];
      const late = r.late && a.respondBy ? ` Recorded as late: the deadline was ${formatDayTime(a.respondBy)}.` : '';
      if (r.changed === 0 && r.answer !== 'need_help') return `${head}: already recorded for ${scope}; nothing changed (a resolved organisation stays resolved).`;
      const part = r.unchanged > 0 && r.answer !== 'need_help' ? ` (${n(r.unchanged)} already further on, unchanged)` : '';
      const what = r.single || r.organisations === 1 ? scope : `${n(r.changed)} of ${scope}`;
      const x = a.number;
      const next =
        r.answer === 'ack'
          ? ` Next: AFFECTED ${x} or NOT AFFECTED ${x}.${r.organisations > 1 ? ` Add an ODS code to answer for one (AFFECTED ${x} A81001).` : ''}`
          : r.answer === 'affected'
            ? ` Reply RESOLVED ${x} when it is fixed, or NEED HELP ${x} <what you need>.`
            : r.answer === 'need_help'
              ? ' The national team sees it on the dashboard and will contact you. Phone your usual contacts too.'
              : ' Thank you.';
      return `${head}: ${word} recorded for ${r.answer === 'need_help' ? scope : what}${part}.${late}${next}`;
    }
  }
}

function flowName(kind: FlowKind): string {
  return kind === 'raise' ? 'raise' : kind === 'update' ? 'update' : 'all clear';
}

function startAgain(kind: FlowKind): string {
  return kind === 'raise' ? 'Send RAISE to start again.' : kind === 'update' ? 'Send UPDATE to try again.' : 'Send ALLCLEAR to try again.';
}
