// The conversation as a pure function: step(state, command, ctx, now) -> { next, replies, effects }.
// No I/O, no clock, no randomness: the one-time code and every fact from the database arrive in
// ctx (handle.ts fetches only what contextNeeds() asks for), so tests drive it as a table.
import type { Command, SituationWord } from './parse.js';
import { replies, type FlowKind } from './replies.js';
import type { AlertTarget } from '../alerts/followup.js';

export type { AlertTarget };

export type PendingAction =
  | { kind: 'raise'; summary: string; exercise: boolean }
  | { kind: 'update'; alert: number; text: string }
  | { kind: 'allclear'; alert: number; text: string };

/** Persisted as jsonb in conversations.state; times as ISO strings. */
export type ConversationState =
  | { name: 'idle' }
  | { name: 'awaitingThreshold'; summary: string | null; exercise: boolean; expiresAt: string }
  | { name: 'awaitingDescription'; exercise: boolean; expiresAt: string }
  | { name: 'awaitingConfirm'; action: PendingAction; code: string; wrongAttempts: number; expiresAt: string };

export const IDLE: ConversationState = { name: 'idle' };

export type Effect =
  | { kind: 'createAlert'; summary: string; exercise: boolean }
  /** text: words after the number (an advisory answer may name one ODS code). */
  | { kind: 'ack'; alert: number | null; text?: string }
  | { kind: 'resolved'; alert: number | null; text: string }
  | { kind: 'status'; alert: number | null }
  | { kind: 'optOut' }
  | { kind: 'optIn' }
  | { kind: 'sendUpdate'; alert: number; text: string }
  | { kind: 'allClear'; alert: number; text: string }
  | { kind: 'situation'; situation: SituationWord; alert: number | null; text: string };

export interface StepContext {
  member: { id: number; role: 'member' | 'admin' };
  settings: { thresholdQuestion: string; raiseExpiryMinutes: number; maxRaisesPerHour: number; forumUrl: string | null };
  /** A fresh random one-time code, used only if this step asks for a confirmation. */
  code: string;
  audienceSize?: number;
  raisesLastHour?: number;
  /** undefined: not fetched; null: no such alert. */
  alert?: AlertTarget | null;
}

export interface StepResult {
  next: ConversationState;
  replies: string[];
  effects: Effect[];
}

export const MAX_WRONG_CODES = 3;
export const MIN_DESCRIPTION = 3;
export const MAX_DESCRIPTION = 600; // with the broadcast's own words, at most 5 SMS parts

/** What handle.ts must look up before calling step: nothing else, so the ACK path stays light. */
export interface Needs {
  state: boolean;
  audienceSize: boolean;
  raisesLastHour: boolean;
  alert: number | null;
}

export function contextNeeds(state: ConversationState | null, cmd: Command): Needs {
  const none: Needs = { state: false, audienceSize: false, raisesLastHour: false, alert: null };
  // ACK, STATUS, STOP and START never look at the conversation; a loose "OK" might be a raise's answer.
  if (cmd.kind === 'status' || cmd.kind === 'stop' || cmd.kind === 'start') return none;
  if (cmd.kind === 'ack' && !cmd.loose) return none;
  if (state === null) return { ...none, state: true };
  const s = state;
  switch (cmd.kind) {
    case 'raise':
      return { ...none, state: true, raisesLastHour: true };
    case 'update':
    case 'allclear':
      return { ...none, state: true, alert: cmd.alert };
    case 'situation':
    case 'resolved':
      // In the middle of a raise, "Affected: ..." is more likely the description.
      return { ...none, state: true, audienceSize: s.name === 'awaitingDescription' };
    case 'yes':
      return { ...none, state: true, audienceSize: s.name === 'awaitingThreshold' && s.summary !== null };
    case 'text':
      // In awaitingConfirm a bare code is a CONFIRM.
      if (s.name !== 'awaitingConfirm') return { ...none, state: true, audienceSize: s.name === 'awaitingDescription' };
    // falls through
    case 'confirm':
      if (s.name !== 'awaitingConfirm') return { ...none, state: true };
      if (s.action.kind === 'raise') return { ...none, state: true, raisesLastHour: true };
      return { ...none, state: true, alert: s.action.alert };
    default:
      return { ...none, state: true };
  }
}

function expiresAt(ctx: StepContext, now: Date): string {
  return new Date(now.getTime() + ctx.settings.raiseExpiryMinutes * 60_000).toISOString();
}

function flowOf(s: ConversationState): FlowKind | null {
  if (s.name === 'idle') return null;
  return s.name === 'awaitingConfirm' ? s.action.kind : 'raise';
}

function isExpired(s: ConversationState, now: Date): boolean {
  return s.name !== 'idle' && now.getTime() >= Date.parse(s.expiresAt);
}

/** Same length, every character compared: no early exit that times the code. */
function sameCode(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

function need<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new Error(`conversation step needs ${name} in its context`);
  return v;
}

const out = (next: ConversationState, reply: string | null, effects: Effect[] = []): StepResult => ({
  next,
  replies: reply === null ? [] : [reply],
  effects,
});

function pendingLine(s: ConversationState): string | null {
  switch (s.name) {
    case 'idle':
      return null;
    case 'awaitingThreshold':
      return replies.pending('raise', 'threshold');
    case 'awaitingDescription':
      return replies.pending('raise', 'description');
    case 'awaitingConfirm':
      return replies.pending(s.action.kind, 'confirm');
  }
}

function askConfirmRaise(summary: string, exercise: boolean, ctx: StepContext, now: Date): StepResult {
  if (summary.length < MIN_DESCRIPTION) return out({ name: 'awaitingDescription', exercise, expiresAt: expiresAt(ctx, now) }, replies.descriptionTooShort());
  if (summary.length > MAX_DESCRIPTION) {
    return out({ name: 'awaitingDescription', exercise, expiresAt: expiresAt(ctx, now) }, replies.descriptionTooLong(summary.length, MAX_DESCRIPTION));
  }
  const audience = need(ctx.audienceSize, 'audienceSize');
  return out(
    { name: 'awaitingConfirm', action: { kind: 'raise', summary, exercise }, code: ctx.code, wrongAttempts: 0, expiresAt: expiresAt(ctx, now) },
    replies.confirmRaise(summary, exercise, audience, ctx.code),
  );
}

/**
 * Why a raise may not go out now, or null if it may: the checks the conversation makes on the
 * description and at CONFIRM, shared with the dashboard's raise (src/conversation/web.ts).
 */
export function raiseRefusal(summary: string, raisesLastHour: number, maxRaisesPerHour: number): string | null {
  if (summary.length < MIN_DESCRIPTION) return replies.descriptionTooShort();
  if (summary.length > MAX_DESCRIPTION) return replies.descriptionTooLong(summary.length, MAX_DESCRIPTION);
  if (raisesLastHour >= maxRaisesPerHour) return replies.raiseLimit(maxRaisesPerHour);
  return null;
}

/** Why this member may not follow up this alert now, or null if they may (also the dashboard's check). */
export function followUpRefusal(kind: 'update' | 'allclear', n: number, ctx: StepContext): string | null {
  const alert = need(ctx.alert, 'alert');
  if (alert === null) return replies.noSuchAlert(n);
  if (ctx.member.role !== 'admin' && alert.raisedBy !== ctx.member.id) return replies.notYours(n, kind === 'update' ? 'UPDATE' : 'ALLCLEAR');
  if (alert.status === 'closed') return replies.alertClosed(n);
  return null;
}

function startFollowUp(state: ConversationState, cmd: Command & { kind: 'update' | 'allclear' }, ctx: StepContext, now: Date): StepResult {
  if (cmd.alert === null || (cmd.kind === 'update' && cmd.text === '')) {
    return out(state, cmd.kind === 'update' ? replies.usageUpdate() : replies.usageAllclear());
  }
  const refusal = followUpRefusal(cmd.kind, cmd.alert, ctx);
  if (refusal) return out(state, refusal);
  if (cmd.text.length > MAX_DESCRIPTION) return out(state, replies.descriptionTooLong(cmd.text.length, MAX_DESCRIPTION));
  const reach = ctx.alert!.reach;
  const prefix = replies.replaced(isExpired(state, now) ? null : flowOf(state));
  const ask = cmd.kind === 'update' ? replies.confirmUpdate(cmd.alert, cmd.text, reach, ctx.code) : replies.confirmAllclear(cmd.alert, cmd.text, reach, ctx.code);
  return out(
    { name: 'awaitingConfirm', action: { kind: cmd.kind, alert: cmd.alert, text: cmd.text }, code: ctx.code, wrongAttempts: 0, expiresAt: expiresAt(ctx, now) },
    prefix + ask,
  );
}

function confirm(s: ConversationState & { name: 'awaitingConfirm' }, code: string | null, ctx: StepContext, now: Date): StepResult {
  if (code === null) return out(s, replies.confirmNudge());
  if (!sameCode(code, s.code)) {
    const wrong = s.wrongAttempts + 1;
    if (wrong >= MAX_WRONG_CODES) return out(IDLE, replies.tooManyWrongCodes(s.action.kind));
    return out({ ...s, wrongAttempts: wrong }, replies.wrongCode(MAX_WRONG_CODES - wrong));
  }
  const a = s.action;
  if (a.kind === 'raise') {
    if (need(ctx.raisesLastHour, 'raisesLastHour') >= ctx.settings.maxRaisesPerHour) return out(IDLE, replies.raiseLimit(ctx.settings.maxRaisesPerHour));
    return out(IDLE, null, [{ kind: 'createAlert', summary: a.summary, exercise: a.exercise }]);
  }
  // The alert may have closed, or the member lost admin, since the code was sent.
  const refusal = followUpRefusal(a.kind, a.alert, ctx);
  if (refusal) return out(IDLE, refusal);
  return out(IDLE, null, [a.kind === 'update' ? { kind: 'sendUpdate', alert: a.alert, text: a.text } : { kind: 'allClear', alert: a.alert, text: a.text }]);
}

export function step(state: ConversationState, cmd: Command, ctx: StepContext, now: Date): StepResult {
  // Any time, in any state, leaving an in-progress raise as it was.
  switch (cmd.kind) {
    case 'status':
      return out(state, null, [{ kind: 'status', alert: cmd.alert }]);
    case 'stop':
      return out(state, replies.stopped(), [{ kind: 'optOut' }]);
    case 'start':
      return out(state, replies.started(), [{ kind: 'optIn' }]);
    case 'help':
      return out(state, replies.help(isExpired(state, now) ? null : pendingLine(state)));
    case 'ack':
      // A bare OK in the middle of a raise is more likely an answer than an acknowledgement.
      if (cmd.loose && cmd.alert === null && state.name !== 'idle' && !isExpired(state, now)) break;
      return out(state, null, [cmd.text === undefined ? { kind: 'ack', alert: cmd.alert } : { kind: 'ack', alert: cmd.alert, text: cmd.text }]);
    case 'resolved':
      if (state.name === 'awaitingDescription' && !isExpired(state, now)) return step(state, { kind: 'text', text: cmd.raw }, ctx, now);
      return out(state, null, [{ kind: 'resolved', alert: cmd.alert, text: cmd.text }]);
    case 'situation':
      if (state.name === 'awaitingDescription' && !isExpired(state, now)) return step(state, { kind: 'text', text: cmd.raw }, ctx, now);
      return out(state, null, [{ kind: 'situation', situation: cmd.situation, alert: cmd.alert, text: cmd.text }]);
  }

  // New flows replace whatever was pending.
  if (cmd.kind === 'raise') {
    if (need(ctx.raisesLastHour, 'raisesLastHour') >= ctx.settings.maxRaisesPerHour) return out(IDLE, replies.raiseLimit(ctx.settings.maxRaisesPerHour));
    const prefix = replies.replaced(isExpired(state, now) ? null : flowOf(state));
    return out(
      { name: 'awaitingThreshold', summary: cmd.summary, exercise: cmd.exercise, expiresAt: expiresAt(ctx, now) },
      prefix + replies.threshold(ctx.settings.thresholdQuestion, cmd.exercise),
    );
  }
  if (cmd.kind === 'update' || cmd.kind === 'allclear') return startFollowUp(state, cmd, ctx, now);

  // The rest answer the pending step; a late answer is told the step expired.
  if (state.name !== 'idle' && isExpired(state, now)) return out(IDLE, replies.expired(flowOf(state)!, ctx.settings.raiseExpiryMinutes));

  switch (state.name) {
    case 'idle':
      switch (cmd.kind) {
        case 'cancel':
          return out(state, replies.nothingToCancel());
        case 'confirm':
          return out(state, replies.nothingToConfirm());
        case 'yes':
        case 'no':
          return out(state, replies.nothingToAnswer());
        default:
          return out(state, replies.notUnderstood());
      }

    case 'awaitingThreshold':
      switch (cmd.kind) {
        case 'cancel':
          return out(IDLE, replies.cancelled('raise'));
        case 'no':
          return out(IDLE, replies.belowThreshold(ctx.settings.forumUrl));
        case 'yes':
          if (state.summary !== null) return askConfirmRaise(state.summary, state.exercise, ctx, now);
          return out({ name: 'awaitingDescription', exercise: state.exercise, expiresAt: expiresAt(ctx, now) }, replies.askDescription());
        default:
          return out(state, replies.answerYesNo());
      }

    case 'awaitingDescription':
      switch (cmd.kind) {
        case 'cancel':
          return out(IDLE, replies.cancelled('raise'));
        case 'text':
          return askConfirmRaise(cmd.text, state.exercise, ctx, now);
        default:
          return out(state, replies.descriptionTooShort());
      }

    case 'awaitingConfirm':
      switch (cmd.kind) {
        case 'cancel':
          return out(IDLE, replies.cancelled(state.action.kind));
        case 'confirm':
          return confirm(state, cmd.code, ctx, now);
        case 'text':
          // The code alone, as people often send it.
          if (/^\d{4,8}$/.test(cmd.text.replace(/[\s.-]/g, ''))) return confirm(state, cmd.text.replace(/[\s.-]/g, ''), ctx, now);
          return out(state, replies.confirmNudge());
        default:
          return out(state, replies.confirmNudge());
      }
  }
}

/** A persisted state read back; anything unrecognised (an older shape) is idle. */
export function asState(v: unknown): ConversationState {
  if (typeof v !== 'object' || v === null) return IDLE;
  const s = v as Record<string, unknown>;
  const exp = typeof s.expiresAt === 'string' && !Number.isNaN(Date.parse(s.expiresAt));
  switch (s.name) {
    case 'awaitingThreshold':
      return exp && typeof s.exercise === 'boolean' && (s.summary === null || typeof s.summary === 'string') ? (s as ConversationState) : IDLE;
    case 'awaitingDescription':
      return exp && typeof s.exercise === 'boolean' ? (s as ConversationState) : IDLE;
    case 'awaitingConfirm': {
      const a = s.action as Record<string, unknown> | null;
      const actionOk =
        typeof a === 'object' && a !== null &&
        ((a.kind === 'raise' && typeof a.summary === 'string' && typeof a.exercise === 'boolean') ||
          ((a.kind === 'update' || a.kind === 'allclear') && typeof a.alert === 'number' && typeof a.text === 'string'));
      return exp && actionOk && typeof s.code === 'string' && typeof s.wrongAttempts === 'number' ? (s as ConversationState) : IDLE;
    }
    default:
      return IDLE;
  }
}
