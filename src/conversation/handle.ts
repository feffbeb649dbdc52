// The conversation's entry point, called by the inbound edge inside its transaction (after
// de-duplication and the per-sender advisory lock) for every text from a known member.
// Decide, persist, then act: parse, fetch only the context this command needs, step the pure
// machine, save the new state, run the effects and queue the replies, all in the one transaction.
import { randomInt } from 'node:crypto';
import type { Tx } from '../db/connect.js';
import type { Config } from '../config.js';
import type { Member } from '../db/schema.js';
import { enqueueReplies } from '../outbox/write.js';
import { audienceSize } from '../alerts/create.js';
import { alertTarget } from '../alerts/followup.js';
import { parseCommand, type Command } from './parse.js';
import { asState, contextNeeds, IDLE, step, type ConversationState, type StepContext, type StepResult } from './machine.js';
import { loadConversation, raisesInLastHour, saveConversation } from './store.js';
import { executeEffect } from './effects.js';
import { exerciseModeOn } from '../alerts/exercise.js';
import type { Metrics } from '../metrics/registry.js';
import { isAlertNumber } from '../alerts/number.js';
import type { AckResult } from '../alerts/ack.js';

/** Six digits: one chance in a million per guess, and three guesses end the raise. */
export function oneTimeCode(): string {
  return String(randomInt(100_000, 1_000_000));
}

/**
 * Over the loop cap (opts.quiet: the inbound edge passes only ACK, CONFIRM, UPDATE, ALLCLEAR, STOP
 * and START then), a command is carried out in full only when it acts (an effect) or starts a
 * flow from idle; a wrong CONFIRM code still counts against the tries, silently; anything else
 * changes nothing. So a spoofed flood can neither silence a member nor replace their pending code.
 */
function quietOutcome(state: ConversationState, cmd: Command, result: StepResult): 'full' | 'stateOnly' | 'nothing' {
  if (result.effects.length > 0 || (state.name === 'idle' && result.next.name !== 'idle')) return 'full';
  return cmd.kind === 'confirm' && state.name === 'awaitingConfirm' ? 'stateOnly' : 'nothing';
}

export async function converse(
  trx: Tx,
  deps: { config: Config; metrics?: Metrics },
  member: Member,
  text: string,
  now: Date,
  opts: { quiet?: boolean; conversation?: unknown; ack?: { alert: number | null; result: AckResult } } = {},
): Promise<void> {
  const parsed = parseCommand(text);
  // The admin exercise switch (POST /api/exercise) makes every new raise an exercise.
  const cmd = parsed.kind === 'raise' && !parsed.exercise && (await exerciseModeOn(trx)) ? { ...parsed, exercise: true } : parsed;
  // ACK <n>, STATUS, STOP and START skip the conversation row entirely: the ACK path is hot.
  const stateNeeded = contextNeeds(null, cmd, now).state;
  // The inbound intake reads the state in its own statement (src/inbound/intake.ts): no round trip here.
  const state = !stateNeeded ? IDLE : opts.conversation !== undefined ? asState(opts.conversation) : await loadConversation(trx, member.id);
  const needs = contextNeeds(state, cmd, now);

  const c = deps.config;
  const ctx: StepContext = {
    member: { id: member.id, role: member.role },
    settings: {
      thresholdQuestion: c.thresholdQuestion,
      raiseExpiryMinutes: c.raiseExpiryMinutes,
      maxRaisesPerHour: c.maxRaisesPerHour,
      forumUrl: c.discourse?.url ?? null,
    },
    code: oneTimeCode(),
  };
  if (needs.audienceSize) ctx.audienceSize = await audienceSize(trx, member.id);
  if (needs.raisesLastHour) ctx.raisesLastHour = await raisesInLastHour(trx, member.id, now);
  if (needs.alert !== null) ctx.alert = await alertTarget(trx, needs.alert);

  const result = step(state, cmd, ctx, now);
  // The intake ran ACK <n> already (converse.ackFirst said this text is one): the step must agree.
  if (opts.ack && !result.effects.some((e) => e.kind === 'ack' && e.alert === opts.ack!.alert)) {
    throw new Error(`the intake acknowledged #${opts.ack.alert} but the conversation did not read "${cmd.kind}" as that ACK`);
  }
  const scope = opts.quiet ? quietOutcome(state, cmd, result) : 'full';
  if (scope === 'nothing') return;
  if (scope === 'stateOnly') result.replies.length = 0;
  if (stateNeeded && JSON.stringify(result.next) !== JSON.stringify(state)) {
    await saveConversation(trx, member.id, result.next, now);
  }
  const texts = [...result.replies];
  for (const effect of result.effects) texts.push(...(await executeEffect(trx, deps, member, effect, now, opts.ack)));
  await enqueueReplies(trx, texts.map((body) => ({ memberId: member.id, to: member.phone, body, kind: 'reply' as const })), now);
}

/**
 * ACK <n> and bare ACK (null) (not OK, which a raise in progress may read as an answer) are steps
 * that read no state and no lookup, and whose one effect is that ACK: the inbound intake may run it
 * in its own statement (converse.ackFirst, src/inbound/pipeline.ts). Derived from the step table, so
 * a change there that made the ACK depend on the state turns this off rather than going out of step.
 */
export function ackWithoutState(text: string, now: Date): number | null | undefined {
  const cmd = parseCommand(text);
  if (cmd.kind !== 'ack' || (cmd.alert !== null && !isAlertNumber(cmd.alert))) return undefined;
  const needs = contextNeeds(null, cmd, now);
  if (needs.state || needs.audienceSize || needs.raisesLastHour || needs.alert !== null) return undefined;
  return cmd.alert;
}
converse.ackFirst = ackWithoutState;
