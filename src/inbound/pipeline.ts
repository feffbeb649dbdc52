// Everything between a validated Vonage inbound text and the conversation, in ONE transaction:
// sender lock -> de-duplication -> multipart reassembly -> sender matching -> conversation.
// If anything throws, the transaction rolls back (the messageId is not marked seen) and the
// webhook answers 500, so Vonage retries: nothing is lost and nothing is handled twice.
import type { Config } from '../config.js';
import type { Database, Tx } from '../db/connect.js';
import type { InboundOutcome, Member } from '../db/schema.js';
import { fromVonage } from '../directory/phone.js';
import { isInterpretedType, type InboundSms } from './message.js';
import { inSenderTransaction, recordInbound } from './dedupe.js';
import { intake } from './intake.js';
import { assembleIfComplete, MAX_TEXT_PARTS, takeStaleGroups, tooLongGroupSeen } from './concat.js';
import { replyToStranger } from './strangers.js';
import { passesLoopCap, overInboundLimit } from './limits.js';
import { afterCommit, noopMetrics, type Metrics, type PIPELINE_OUTCOMES } from '../metrics/registry.js';
import { enqueueReplies } from '../outbox/write.js';
import { replies } from '../conversation/replies.js';
import type { AckResult } from '../alerts/ack.js';

/**
 * The conversation's entry point (src/conversation/handle.ts). `quiet`: the sender is over the
 * loop cap and this is one of the commands that still gets through (limits.ts): act on it, but
 * send no reply unless it changed something. `conversation`: the member's conversations.state as
 * the intake statement read it under the sender lock (null: no row); absent: not read yet.
 */
export type Converse = ((
  trx: Tx,
  deps: { config: Config; metrics?: Metrics },
  member: Member,
  text: string,
  now: Date,
  opts?: { quiet?: boolean; conversation?: unknown; ack?: { alert: number | null; result: AckResult } },
) => Promise<void>) & {
  /**
   * The alert number of a text this conversation reads as ACK <n> whatever the member's state (null:
   * a bare ACK, the newest open alert), else undefined: the intake then runs that ACK in its own statement and hands converse what it
   * found (opts.ack) instead of converse running it (ACK 5 round trips -> 4). Absent: never.
   */
  ackFirst?: (text: string, now: Date) => number | null | undefined;
};

export interface PipelineDeps {
  config: Config;
  db: Database;
  converse: Converse;
  /** Wakes the dispatchers after a commit (OutboxSignal.touch). */
  touch?: () => void;
  /** Alerts raised and ACKs recorded by the conversation, counted once the transaction commits. */
  metrics?: Metrics | undefined;
}

export type WebhookOutcome = (typeof PIPELINE_OUTCOMES)[number];

export interface ReceiveResult {
  outcome: WebhookOutcome;
  /** Why a text was ignored, or what else happened (e.g. 'reply_suppressed' for a stranger). */
  reason?: string;
  /** Multipart texts interpreted during this call (the completed one, and any timed-out ones). */
  assembled?: number;
}

type Sender =
  | { kind: 'member'; member: Member; quiet: boolean; conversation?: unknown; ack?: { alert: number | null; result: AckResult } | undefined }
  | { kind: 'stranger'; phone: string }
  | { kind: 'ignored'; reason: string };

/**
 * The one key for a sender: international digits of the normalised number, so '4407700900001'
 * and '447700900001' (one member) share one lock, one loop cap and one set of multipart groups.
 * A sender that is not a phone number (short code, alphanumeric) keeps what Vonage wrote.
 */
export function senderKey(msisdn: string, config: Config): string {
  const phone = fromVonage(msisdn, config.defaultCountry);
  return phone.ok ? phone.e164.slice(1) : msisdn;
}

const ownKeys = new WeakMap<Config, string>();
/** Our own number as a sender key (computed once per config). */
function ownKey(config: Config): string {
  let k = ownKeys.get(config);
  if (k === undefined) ownKeys.set(config, (k = senderKey(config.batsignalNumber, config)));
  return k;
}

/** Reasons to acknowledge and record a text without interpreting it. */
function ignoredBeforeSender(config: Config, sms: InboundSms): string | undefined {
  // Members may text either number: ours at Vonage or at Twilio.
  if (sms.to !== config.batsignalNumber && sms.to !== config.twilio?.number) return 'wrong_to';
  if (!isInterpretedType(sms.type)) return `type_${sms.type}`;
  return undefined;
}

/** `key`: senderKey() of the msisdn. */
async function classifySender(trx: Tx, config: Config, key: string, text: string | null, now: Date): Promise<Sender> {
  // Never talk to ourselves (a misrouted reply coming back), nor to short codes or alphanumeric
  // senders: those are machines, and answering a machine is how reply loops start.
  if (key === ownKey(config)) return { kind: 'ignored', reason: 'own_number' };
  const phone = fromVonage(key, config.defaultCountry);
  if (!phone.ok) return { kind: 'ignored', reason: 'not_a_phone' };
  const member = await trx.selectFrom('members').selectAll().where('phone', '=', phone.e164).executeTakeFirst();
  if (!member) return { kind: 'stranger', phone: phone.e164 };
  if (!(await overInboundLimit(trx, key, now))) return { kind: 'member', member, quiet: false };
  // Over the cap only a member's commands get through (text null: nothing to read, all silenced).
  if (text !== null && passesLoopCap(text)) return { kind: 'member', member, quiet: true };
  return { kind: 'ignored', reason: 'rate_limited' };
}

async function interpret(trx: Tx, deps: PipelineDeps, sender: Sender, text: string, now: Date): Promise<ReceiveResult> {
  switch (sender.kind) {
    case 'member':
      await deps.converse(trx, { config: deps.config, ...(deps.metrics ? { metrics: deps.metrics } : {}) }, sender.member, text, now, {
        ...(sender.quiet ? { quiet: true } : {}),
        ...(sender.conversation !== undefined ? { conversation: sender.conversation } : {}),
        ...(sender.ack ? { ack: sender.ack } : {}),
      });
      return sender.quiet ? { outcome: 'processed', reason: 'over_loop_cap' } : { outcome: 'processed' };
    case 'stranger': {
      const replied = await replyToStranger(trx, sender.phone, now, deps.config.strangerRepliesPerHour);
      if (replied === 'replied') return { outcome: 'stranger' };
      return { outcome: 'stranger', reason: replied === 'suppressed' ? 'reply_suppressed' : 'stranger_cap' };
    }
    case 'ignored':
      return { outcome: 'ignored', reason: sender.reason };
  }
}

const rowOutcome = (s: Sender): InboundOutcome => (s.kind === 'member' ? 'processed' : s.kind);

/**
 * Interprets this sender's multipart texts that timed out, with what arrived. Runs under the
 * sender lock before a new text, so an incomplete message is read before the one after it.
 */
async function flushStale(trx: Tx, deps: PipelineDeps, msisdn: string, now: Date): Promise<number> {
  const groups = await takeStaleGroups(trx, msisdn, deps.config.concatTimeoutSeconds, now);
  for (const g of groups) {
    const sender = await classifySender(trx, deps.config, msisdn, g.text, now);
    await interpret(trx, deps, sender, g.text, now);
  }
  return groups.length;
}

/**
 * A multipart text of more than MAX_TEXT_PARTS parts is never assembled or read: each part is
 * stored as 'ignored', and the first part of the group to arrive answers once (a member not over
 * the loop cap is told it was too long; a stranger gets the stranger reply). That part is stored
 * as 'processed' so the reply counts against the loop cap like any other.
 */
async function refuseTooLong(trx: Tx, deps: PipelineDeps, sms: InboundSms, now: Date): Promise<ReceiveResult> {
  const total = sms.concat!.total;
  const first = !(await tooLongGroupSeen(trx, sms.msisdn, sms.concat!.ref, deps.config.concatTimeoutSeconds, now));
  const sender = first ? await classifySender(trx, deps.config, sms.msisdn, null, now) : ({ kind: 'ignored', reason: 'too_long' } as const);
  const outcome: InboundOutcome = sender.kind === 'member' ? 'processed' : sender.kind === 'stranger' ? 'stranger' : 'ignored';
  if (!(await recordInbound(trx, { ...sms, text: '' }, outcome, now))) return { outcome: 'duplicate' };
  if (sender.kind === 'member') {
    await enqueueReplies(trx, [{ memberId: sender.member.id, to: sender.member.phone, body: replies.textTooLong(total, MAX_TEXT_PARTS), kind: 'reply' }], now);
    return { outcome: 'ignored', reason: 'too_long' };
  }
  if (sender.kind === 'stranger') await interpret(trx, deps, sender, '', now);
  return { outcome: 'ignored', reason: sender.kind === 'ignored' && sender.reason !== 'too_long' ? sender.reason : 'too_long' };
}

/** Handles one validated inbound text exactly once. Throws only on infrastructure failure. */
export async function receiveInbound(given: PipelineDeps, raw: InboundSms, now: Date): Promise<ReceiveResult> {
  const counted = afterCommit(given.metrics ?? noopMetrics);
  const deps = { ...given, metrics: counted };
  // Stored, locked, grouped and counted under the normalised number.
  // Parsed once (libphonenumber was 3.6% of the server's CPU under ACK load, parsing each number
  // twice): the key is the normalised number's digits, and parsing those again gives the same E.164.
  const phone = fromVonage(raw.msisdn, deps.config.defaultCountry);
  const sms: InboundSms = { ...raw, msisdn: phone.ok ? phone.e164.slice(1) : raw.msisdn };
  const result = await inSenderTransaction(deps.db, sms.msisdn, async (trx): Promise<ReceiveResult> => {

    const ignored = ignoredBeforeSender(deps.config, sms);
    if (ignored) {
      return (await recordInbound(trx, sms, 'ignored', now)) ? { outcome: 'ignored', reason: ignored } : { outcome: 'duplicate' };
    }

    if (sms.concat && sms.concat.total > MAX_TEXT_PARTS) return refuseTooLong(trx, deps, sms, now);

    if (sms.concat) {
      if (!(await recordInbound(trx, sms, 'part', now))) return { outcome: 'duplicate' };
      const stale = await flushStale(trx, deps, sms.msisdn, now);
      const whole = await assembleIfComplete(trx, sms.msisdn, sms.concat.ref);
      if (!whole) return stale ? { outcome: 'part', assembled: stale } : { outcome: 'part' };
      const sender = await classifySender(trx, deps.config, sms.msisdn, whole.text, now);
      return { ...(await interpret(trx, deps, sender, whole.text, now)), assembled: stale + 1 };
    }

    // The usual case, a single text from a phone number: one statement (intake.ts).
    if (phone.ok && sms.msisdn !== ownKey(deps.config)) {
      const passes = passesLoopCap(sms.text);
      const ackAlert = deps.converse.ackFirst?.(sms.text, now);
      const r = await intake(trx, sms, phone.e164, passes, deps.config.concatTimeoutSeconds, now, ackAlert);
      if (!r.stale) {
        if (r.stored === null) return { outcome: 'duplicate' };
        const sender: Sender = !r.member
          ? { kind: 'stranger', phone: phone.e164 }
          : r.stored === 'ignored'
            ? { kind: 'ignored', reason: 'rate_limited' }
            : { kind: 'member', member: r.member, quiet: r.overCap, conversation: r.conversation, ack: r.ack };
        return interpret(trx, deps, sender, sms.text, now);
      }
    }

    const stale = await flushStale(trx, deps, sms.msisdn, now);
    const sender = await classifySender(trx, deps.config, sms.msisdn, sms.text, now);
    if (!(await recordInbound(trx, sms, rowOutcome(sender), now))) return { outcome: 'duplicate' };
    const result = await interpret(trx, deps, sender, sms.text, now);
    return stale ? { ...result, assembled: stale } : result;
  });
  counted.commit();
  return result;
}

/** Interprets this sender's timed-out multipart texts (the sweeper's unit of work). */
export async function flushSender(given: PipelineDeps, msisdn: string, now: Date): Promise<number> {
  const counted = afterCommit(given.metrics ?? noopMetrics);
  const deps = { ...given, metrics: counted };
  const n = await inSenderTransaction(deps.db, msisdn, (trx) => flushStale(trx, deps, msisdn, now));
  counted.commit();
  return n;
}
