// Exercise mode: an admin switch that makes every new raise an exercise until it is switched off.
// Networks rehearse: an exercise runs the same flow, but every text, email and forum post says
// EXERCISE, and counts keep exercises apart. The switch lives in the settings table so every
// instance sees it and a restart keeps it.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';

export const EXERCISE_SETTING = 'exercise_mode';

export interface ExerciseMode {
  on: boolean;
  /** When it was last switched (ISO), absent if never. */
  since?: string;
}

function read(value: unknown): ExerciseMode {
  if (value && typeof value === 'object' && (value as { on?: unknown }).on === true) {
    const since = (value as { since?: unknown }).since;
    return typeof since === 'string' ? { on: true, since } : { on: true };
  }
  const since = (value as { since?: unknown } | null)?.since;
  return typeof since === 'string' ? { on: false, since } : { on: false };
}

export async function exerciseMode(db: Database | Tx): Promise<ExerciseMode> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', EXERCISE_SETTING).executeTakeFirst();
  return read(row?.value);
}

/**
 * True while the admin switch is on. Call it in the transaction that creates an alert (or that
 * asks the raiser to confirm, so the preview already says EXERCISE): `exercise: parsed || await exerciseModeOn(trx)`.
 */
export async function exerciseModeOn(trx: Database | Tx): Promise<boolean> {
  return (await exerciseMode(trx)).on;
}

export async function setExerciseMode(db: Database | Tx, on: boolean, now: Date): Promise<ExerciseMode> {
  const value: ExerciseMode = { on, since: now.toISOString() };
  await sql`
    INSERT INTO settings (key, value) VALUES (${EXERCISE_SETTING}, ${JSON.stringify(value)}::jsonb)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`.execute(db);
  return value;
}
