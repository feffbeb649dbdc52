// Everything between a validated Vonage inbound text and the conversation, in ONE transaction:
// sender lock -> de-duplication -> multipart reassembly -> sender matching -> conversation.
// If anything throws, the transaction rolls back (the messageId is not marked seen) and the
// webhook answers 500, so Vonage retries: nothing is lost and nothing is handled twice.
import type { Config } from '../config.js';
import type { Database, Tx } from '../db/connect.js';
import type { InboundOutcome, Member } from '../db/schema.js';
import { fromVonage } from '../directory/phone.js';
import { isInterpretedType, type InboundSms } from './message.js';
import { lockSender, recordInbound } from './dedupe.js';
import { assembleIfComplete, takeStaleGroups } from './concat.js';
import { replyToStranger } from './strangers.js';
import { isOptWord, overInboundLimit } from './limits.js';
import { afterCommit, noopMetrics, type Metrics } from '../metrics/registry.js';

/** The conversation's entry point (src/conversation/handle.ts). */
export type Converse = (trx: Tx, deps: { config: Config; metrics?: Metrics }, member: Member, text: string, now: Date) => Promise<void>;

export interface PipelineDeps {
  config: Config;
  db: Database;
  converse: Converse;
  /** Wakes the dispatchers after a commit (OutboxSignal.touch). */
  touch?: () => void;
  /** Alerts raised and ACKs recorded by the conversation, counted once the transaction commits. */
  metrics?: Metrics | undefined;
}

export type WebhookOutcome = 'processed' | 'duplicate' | 'part' | 'stranger' | 'ignored';

export interface ReceiveResult {
  outcome: WebhookOutcome;
  /** Why a text was ignored, or what else happened (e.g. 'reply_suppressed' for a stranger). */
  reason?: string;
  /** Multipart texts interpreted during this call (the completed one, and any timed-out ones). */
  assembled?: number;
}

type Sender =
  | { kind: 'member'; member: Member }
  | { kind: 'stranger'; phone: string }
  | { kind: 'ignored'; reason: string };

/** Reasons to acknowledge and record a text without interpreting it. */
function ignoredBeforeSender(config: Config, sms: InboundSms): string | undefined {
  if (sms.to !== config.batsignalNumber) return 'wrong_to';
  if (!isInterpretedType(sms.type)) return `type_${sms.type}`;
  return undefined;
}

async function classifySender(trx: Tx, config: Config, msisdn: string, text: string, now: Date): Promise<Sender> {
  // Never talk to ourselves (a misrouted reply coming back), nor to short codes or alphanumeric
  // senders: those are machines, and answering a machine is how reply loops start.
  if (msisdn === config.batsignalNumber) return { kind: 'ignored', reason: 'own_number' };
  const phone = fromVonage(msisdn, config.defaultCountry);
  if (!phone.ok) return { kind: 'ignored', reason: 'not_a_phone' };
  const member = await trx.selectFrom('members').selectAll().where('phone', '=', phone.e164).executeTakeFirst();
  if (!member) return { kind: 'stranger', phone: phone.e164 };
  if (!isOptWord(text) && (await overInboundLimit(trx, msisdn, now))) return { kind: 'ignored', reason: 'rate_limited' };
  return { kind: 'member', member };
}

async function interpret(trx: Tx, deps: PipelineDeps, sender: Sender, text: string, now: Date): Promise<ReceiveResult> {
  switch (sender.kind) {
    case 'member':
      await deps.converse(trx, { config: deps.config, ...(deps.metrics ? { metrics: deps.metrics } : {}) }, sender.member, text, now);
      return { outcome: 'processed' };
    case 'stranger': {
      const replied = await replyToStranger(trx, sender.phone, now);
      return replied ? { outcome: 'stranger' } : { outcome: 'stranger', reason: 'reply_suppressed' };
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

/** Handles one validated inbound text exactly once. Throws only on infrastructure failure. */
export async function receiveInbound(given: PipelineDeps, sms: InboundSms, now: Date): Promise<ReceiveResult> {
  const counted = afterCommit(given.metrics ?? noopMetrics);
  const deps = { ...given, metrics: counted };
  const result = await deps.db.transaction().execute(async (trx): Promise<ReceiveResult> => {
    await lockSender(trx, sms.msisdn);

    const ignored = ignoredBeforeSender(deps.config, sms);
    if (ignored) {
      return (await recordInbound(trx, sms, 'ignored', now)) ? { outcome: 'ignored', reason: ignored } : { outcome: 'duplicate' };
    }

    if (sms.concat) {
      if (!(await recordInbound(trx, sms, 'part', now))) return { outcome: 'duplicate' };
      const stale = await flushStale(trx, deps, sms.msisdn, now);
      const whole = await assembleIfComplete(trx, sms.msisdn, sms.concat.ref);
      if (!whole) return stale ? { outcome: 'part', assembled: stale } : { outcome: 'part' };
      const sender = await classifySender(trx, deps.config, sms.msisdn, whole.text, now);
      return { ...(await interpret(trx, deps, sender, whole.text, now)), assembled: stale + 1 };
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
  const n = await deps.db.transaction().execute(async (trx) => {
    await lockSender(trx, msisdn);
    return flushStale(trx, deps, msisdn, now);
  });
  counted.commit();
  return n;
}
