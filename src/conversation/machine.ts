// The conversation as a pure function: step(state, command, ctx, now) -> { next, replies, effects }.
// No I/O, no clock, no randomness: the one-time code and every fact from the database arrive in
// ctx, so tests drive it as a table. One table, stepPlan(), says for each state and command both
// what the step does and which lookups it reads: handle.ts fetches what contextNeeds() (the plan's
// needs) asks for, and step() runs the plan with only those lookups in its context, so the two cannot
// disagree (a step reading a lookup it did not declare finds it missing and throws).
import type { Command, SituationWord } from './parse.js';
import { replies, type FlowKind } from './replies.js';
import type { AlertTarget } from '../alerts/followup.js';
import type { Role } from '../db/schema.js';

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
  | { kind: 'verify' }
  | { kind: 'sendUpdate'; alert: number; text: string }
  | { kind: 'allClear'; alert: number; text: string }
  | { kind: 'situation'; situation: SituationWord; alert: number | null; text: string };

export interface StepContext {
  member: { id: number; role: Role };
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

/** A step of the table: the lookups it reads, and what it does with them. */
export interface StepPlan {
  needs: Needs;
  run: (ctx: StepContext) => StepResult;
}

const NO_LOOKUPS: Needs = { state: false, audienceSize: false, raisesLastHour: false, alert: null };

/** A step that never reads the conversation state (it comes back unchanged, and is not saved). */
const stateless = (run: () => StepResult): StepPlan => ({ needs: NO_LOOKUPS, run });

/** A step that reads the conversation state and, besides, exactly these lookups. */
const stateful = (lookups: Partial<Omit<Needs, 'state'>>, run: (ctx: StepContext) => StepResult): StepPlan => ({
  needs: { ...NO_LOOKUPS, state: true, ...lookups },
  run,
});

/** The context a plan runs with: the lookups it declared, nothing else. */
function declaredOnly(ctx: StepContext, needs: Needs): StepContext {
  const c: StepContext = { member: ctx.member, settings: ctx.settings, code: ctx.code };
  if (needs.audienceSize) c.audienceSize = ctx.audienceSize;
  if (needs.raisesLastHour) c.raisesLastHour = ctx.raisesLastHour;
  if (needs.alert !== null) c.alert = ctx.alert;
  return c;
}

function confirmRaisePlan(summary: string, exercise: boolean, now: Date): StepPlan {
  const wait = (reply: string) => stateful({}, (ctx) => out({ name: 'awaitingDescription', exercise, expiresAt: expiresAt(ctx, now) }, reply));
  if (summary.length < MIN_DESCRIPTION) return wait(replies.descriptionTooShort());
  if (summary.length > MAX_DESCRIPTION) return wait(replies.descriptionTooLong(summary.length, MAX_DESCRIPTION));
  return stateful({ audienceSize: true }, (ctx) =>
    out(
      { name: 'awaitingConfirm', action: { kind: 'raise', summary, exercise }, code: ctx.code, wrongAttempts: 0, expiresAt: expiresAt(ctx, now) },
      replies.confirmRaise(summary, exercise, need(ctx.audienceSize, 'audienceSize'), ctx.code),
    ),
  );
}

function followUpPlan(state: ConversationState, cmd: Command & { kind: 'update' | 'allclear' }, now: Date): StepPlan {
  const n = cmd.alert;
  if (n === null || (cmd.kind === 'update' && cmd.text === '')) {
    return stateful({}, () => out(state, cmd.kind === 'update' ? replies.usageUpdate() : replies.usageAllclear()));
  }
  return stateful({ alert: n }, (ctx) => {
    const refusal = followUpRefusal(cmd.kind, n, ctx);
    if (refusal) return out(state, refusal);
    if (cmd.text.length > MAX_DESCRIPTION) return out(state, replies.descriptionTooLong(cmd.text.length, MAX_DESCRIPTION));
    const reach = need(ctx.alert, 'alert')!.reach;
    const prefix = replies.replaced(isExpired(state, now) ? null : flowOf(state));
    const ask = cmd.kind === 'update' ? replies.confirmUpdate(n, cmd.text, reach, ctx.code) : replies.confirmAllclear(n, cmd.text, reach, ctx.code);
    return out(
      { name: 'awaitingConfirm', action: { kind: cmd.kind, alert: n, text: cmd.text }, code: ctx.code, wrongAttempts: 0, expiresAt: expiresAt(ctx, now) },
      prefix + ask,
    );
  });
}

function confirmPlan(s: ConversationState & { name: 'awaitingConfirm' }, code: string | null): StepPlan {
  if (code === null) return stateful({}, () => out(s, replies.confirmNudge()));
  if (!sameCode(code, s.code)) {
    const wrong = s.wrongAttempts + 1;
    if (wrong >= MAX_WRONG_CODES) return stateful({}, () => out(IDLE, replies.tooManyWrongCodes(s.action.kind)));
    return stateful({}, () => out({ ...s, wrongAttempts: wrong }, replies.wrongCode(MAX_WRONG_CODES - wrong)));
  }
  const a = s.action;
  if (a.kind === 'raise') {
    return stateful({ raisesLastHour: true }, (ctx) => {
      if (need(ctx.raisesLastHour, 'raisesLastHour') >= ctx.settings.maxRaisesPerHour) return out(IDLE, replies.raiseLimit(ctx.settings.maxRaisesPerHour));
      return out(IDLE, null, [{ kind: 'createAlert', summary: a.summary, exercise: a.exercise }]);
    });
  }
  // The alert may have closed, or the member lost admin, since the code was sent.
  return stateful({ alert: a.alert }, (ctx) => {
    const refusal = followUpRefusal(a.kind, a.alert, ctx);
    if (refusal) return out(IDLE, refusal);
    return out(IDLE, null, [a.kind === 'update' ? { kind: 'sendUpdate', alert: a.alert, text: a.text } : { kind: 'allClear', alert: a.alert, text: a.text }]);
  });
}

const ackOut = (state: ConversationState, cmd: Command & { kind: 'ack' }): StepResult =>
  out(state, null, [cmd.text === undefined ? { kind: 'ack', alert: cmd.alert } : { kind: 'ack', alert: cmd.alert, text: cmd.text }]);

/**
 * The conversation table. `state` null means not loaded yet: the plan then says only whether the
 * step reads it (ACK <n>, STATUS, STOP, START and JOIN never do, so the ACK path stays light).
 */
export function stepPlan(state: ConversationState | null, cmd: Command, now: Date): StepPlan {
  // Any time, in any state, leaving an in-progress raise as it was.
  const kept = state ?? IDLE;
  switch (cmd.kind) {
    case 'status':
      return stateless(() => out(kept, null, [{ kind: 'status', alert: cmd.alert }]));
    case 'stop':
      return stateless(() => out(kept, replies.stopped(), [{ kind: 'optOut' }]));
    case 'start':
      return stateless(() => out(kept, replies.started(), [{ kind: 'optIn' }]));
    case 'join':
      return stateless(() => out(kept, null, [{ kind: 'verify' }]));
    case 'ack':
      if (!cmd.loose) return stateless(() => ackOut(kept, cmd));
      break;
    default:
      break; // every other command reads the conversation
  }
  if (state === null) {
    return stateful({}, () => {
      throw new Error('conversation step needs the conversation state');
    });
  }

  switch (cmd.kind) {
    case 'help':
      return stateful({}, () => out(state, replies.help(isExpired(state, now) ? null : pendingLine(state))));
    case 'ack':
      // A bare OK in the middle of a raise is more likely an answer than an acknowledgement.
      if (cmd.alert === null && state.name !== 'idle' && !isExpired(state, now)) break;
      return stateful({}, () => ackOut(state, cmd));
    case 'resolved':
      // In the middle of a raise, "Affected: ..." is more likely the description.
      if (state.name === 'awaitingDescription' && !isExpired(state, now)) return stepPlan(state, { kind: 'text', text: cmd.raw }, now);
      return stateful({}, () => out(state, null, [{ kind: 'resolved', alert: cmd.alert, text: cmd.text }]));
    case 'situation':
      if (state.name === 'awaitingDescription' && !isExpired(state, now)) return stepPlan(state, { kind: 'text', text: cmd.raw }, now);
      return stateful({}, () => out(state, null, [{ kind: 'situation', situation: cmd.situation, alert: cmd.alert, text: cmd.text }]));    default:
      break; // the flows and the answers below
  }

  // New flows replace whatever was pending.
  if (cmd.kind === 'raise') {
    return stateful({ raisesLastHour: true }, (ctx) => {
      if (need(ctx.raisesLastHour, 'raisesLastHour') >= ctx.settings.maxRaisesPerHour) return out(IDLE, replies.raiseLimit(ctx.settings.maxRaisesPerHour));
      const prefix = replies.replaced(isExpired(state, now) ? null : flowOf(state));
      return out(
        { name: 'awaitingThreshold', summary: cmd.summary, exercise: cmd.exercise, expiresAt: expiresAt(ctx, now) },
        prefix + replies.threshold(ctx.settings.thresholdQuestion, cmd.exercise),
      );
    });
  }
  if (cmd.kind === 'update' || cmd.kind === 'allclear') return followUpPlan(state, cmd, now);

  // The rest answer the pending step; a late answer is told the step expired.
  if (state.name !== 'idle' && isExpired(state, now)) {
    return stateful({}, (ctx) => out(IDLE, replies.expired(flowOf(state)!, ctx.settings.raiseExpiryMinutes)));
  }

  switch (state.name) {
    case 'idle':
      switch (cmd.kind) {
        case 'cancel':
          return stateful({}, () => out(state, replies.nothingToCancel()));
        case 'confirm':
          return stateful({}, () => out(state, replies.nothingToConfirm()));
        case 'yes':
        case 'no':
          return stateful({}, () => out(state, replies.nothingToAnswer()));
        default:
          return stateful({}, () => out(state, replies.notUnderstood()));
      }

    case 'awaitingThreshold':
      switch (cmd.kind) {
        case 'cancel':
          return stateful({}, () => out(IDLE, replies.cancelled('raise')));
        case 'no':
          return stateful({}, (ctx) => out(IDLE, replies.belowThreshold(ctx.settings.forumUrl)));
        case 'yes':
          if (state.summary !== null) return confirmRaisePlan(state.summary, state.exercise, now);
          return stateful({}, (ctx) => out({ name: 'awaitingDescription', exercise: state.exercise, expiresAt: expiresAt(ctx, now) }, replies.askDescription()));
        default:
          return stateful({}, () => out(state, replies.answerYesNo()));
      }

    case 'awaitingDescription':
      switch (cmd.kind) {
        case 'cancel':
          return stateful({}, () => out(IDLE, replies.cancelled('raise')));
        case 'text':
          return confirmRaisePlan(cmd.text, state.exercise, now);
        default:
          return stateful({}, () => out(state, replies.descriptionTooShort()));
      }

    case 'awaitingConfirm':
      switch (cmd.kind) {
        case 'cancel':
          return stateful({}, () => out(IDLE, replies.cancelled(state.action.kind)));
        case 'confirm':
          return confirmPlan(state, cmd.code);
        case 'text': {
          // The code alone, as people often send it.
          const bare = cmd.text.replace(/[\s.-]/g, '');
          if (/^\d{4,8}$/.test(bare)) return confirmPlan(state, bare);
          return stateful({}, () => out(state, replies.confirmNudge()));
        }
        default:
          return stateful({}, () => out(state, replies.confirmNudge()));
      }
  }
}

/** What handle.ts must look up before calling step: the plan's needs, nothing else. */
export function contextNeeds(state: ConversationState | null, cmd: Command, now: Date): Needs {
  return stepPlan(state, cmd, now).needs;
}

export function step(state: ConversationState, cmd: Command, ctx: StepContext, now: Date): StepResult {
  const plan = stepPlan(state, cmd, now);
  return plan.run(declaredOnly(ctx, plan.needs));
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
