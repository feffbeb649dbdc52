// Response windows. Pure: the times follow from when the advisory was issued and its severity.
import type { Severity } from '../db/schema.js';

export { SEVERITIES, type Severity } from '../db/schema.js';

/** Default windows: high 48 h (the national rule), medium a week, low none. */
export const DEFAULT_WINDOW_HOURS: Record<Severity, number | null> = { high: 48, medium: 168, low: null };
export const MAX_WINDOW_HOURS = 24 * 90;

export interface Deadlines {
  windowHours: number | null;
  respondBy: Date | null;
  /** Organisations with no response are reminded at half the window. */
  remindAt: Date | null;
}

export function deadlines(issuedAt: Date, severity: Severity, respondWithinHours?: number | null): Deadlines {
  const hours = respondWithinHours ?? DEFAULT_WINDOW_HOURS[severity];
  if (hours === null) return { windowHours: null, respondBy: null, remindAt: null };
  const ms = hours * 3_600_000;
  return {
    windowHours: hours,
    respondBy: new Date(issuedAt.getTime() + ms),
    remindAt: new Date(issuedAt.getTime() + ms / 2),
  };
}

export type DeadlineStep = 'none' | 'remind' | 'escalate';

/** What is due for an organisation with no response at `now` (escalation implies the reminder's moment passed). */
export function dueStep(d: Pick<Deadlines, 'respondBy' | 'remindAt'>, now: Date): DeadlineStep {
  if (d.respondBy !== null && now.getTime() >= d.respondBy.getTime()) return 'escalate';
  if (d.remindAt !== null && now.getTime() >= d.remindAt.getTime()) return 'remind';
  return 'none';
}
