// Each SMS provider's state, shared by every instance through sms_providers (migration 300):
// switched off by an admin (enabled = false), or taken out ('down') after repeated failures and
// probed back in from probe_at on. Instances write transitions only and read the table every
// second, so one instance's discovery that a provider is down reaches the others within a second.
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';

export interface ProviderState {
  name: string;
  enabled: boolean;
  disabledReason: string | null;
  state: 'up' | 'down';
  downSince: Date | null;
  probeAt: Date | null;
  lastError: string | null;
  lastFailureAt: Date | null;
  lastSuccessAt: Date | null;
}

type Row = {
  name: string; enabled: boolean; disabled_reason: string | null; state: 'up' | 'down'; down_since: Date | null; probe_at: Date | null;
  last_error: string | null; last_failure_at: Date | null; last_success_at: Date | null;
};

const toState = (r: Row): ProviderState => ({
  name: r.name, enabled: r.enabled, disabledReason: r.disabled_reason, state: r.state, downSince: r.down_since, probeAt: r.probe_at,
  lastError: r.last_error, lastFailureAt: r.last_failure_at, lastSuccessAt: r.last_success_at,
});

/** Makes sure each provider has its state row and its rate schedule ('sms:<name>'). */
export async function ensureProviders(db: Database, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await sql`INSERT INTO sms_providers (name) SELECT unnest(${names}::text[]) ON CONFLICT DO NOTHING`.execute(db);
  await sql`INSERT INTO rate_limits (channel) SELECT 'sms:' || unnest(${names}::text[]) ON CONFLICT DO NOTHING`.execute(db);
}

export async function readProviders(db: Database, names: readonly string[]): Promise<ProviderState[]> {
  const r = await sql<Row>`
    SELECT name, enabled, disabled_reason, state, down_since, probe_at, last_error, last_failure_at, last_success_at
    FROM sms_providers WHERE name = ANY(${names}::text[])`.execute(db);
  return r.rows.map(toState);
}

/** Takes a provider out (if it is in): new texts go to the next one; probes begin at probeAt. */
export async function markDown(db: Database, name: string, error: string, now: Date, probeAt: Date): Promise<boolean> {
  const r = await sql`
    UPDATE sms_providers SET state = 'down', down_since = ${now}, probe_at = ${probeAt}, last_error = ${error},
      last_failure_at = ${now}, updated_at = ${now}
    WHERE name = ${name} AND state = 'up'`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/** A provider that answered again is back in. */
export async function markUp(db: Database, name: string, now: Date): Promise<boolean> {
  const r = await sql`
    UPDATE sms_providers SET state = 'up', down_since = NULL, probe_at = NULL, last_success_at = ${now}, updated_at = ${now}
    WHERE name = ${name} AND state = 'down'`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/** Records a failure without a state change (for GET /api/providers). */
export async function noteFailure(db: Database, name: string, error: string, now: Date): Promise<void> {
  await sql`UPDATE sms_providers SET last_error = ${error}, last_failure_at = ${now} WHERE name = ${name}`.execute(db);
}

/**
 * One instance wins the right to probe a provider that is down (its next text goes there); the next
 * probe is pushed back to `next`. False: not due yet, or another instance took this probe.
 */
export async function takeProbe(db: Database, name: string, now: Date, next: Date): Promise<boolean> {
  const r = await sql`
    UPDATE sms_providers SET probe_at = ${next}
    WHERE name = ${name} AND state = 'down' AND enabled AND probe_at <= ${now}`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/** The admin switch. Returns false for a provider that is not configured here. */
export async function setEnabled(db: Database, name: string, enabled: boolean, reason: string | null, now: Date): Promise<boolean> {
  const r = await sql`
    UPDATE sms_providers SET enabled = ${enabled}, disabled_reason = ${enabled ? null : reason}, updated_at = ${now}
    WHERE name = ${name}`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/**
 * A send slot from a provider's shared schedule for a text the dispatcher paced on another
 * (a failover or a reply through the member's number): ms to wait, or undefined when the schedule
 * is more than `maxWaitMs` ahead (the text is then retried later rather than held past its lease).
 */
export async function reserveSlot(db: Database, name: string, perSecond: number, maxWaitMs: number): Promise<number | undefined> {
  if (!(perSecond > 0)) return 0;
  const r = await sql<{ wait_ms: number }>`
    WITH s AS (SELECT greatest(next_slot, now()) AS start FROM rate_limits
               WHERE channel = ${'sms:' + name} AND next_slot < now() + ${maxWaitMs}::float8 * interval '1 millisecond' FOR UPDATE)
    UPDATE rate_limits SET next_slot = (SELECT start FROM s) + ${1000 / perSecond}::float8 * interval '1 millisecond'
    WHERE channel = ${'sms:' + name} AND EXISTS (SELECT 1 FROM s)
    RETURNING (extract(epoch FROM (SELECT start FROM s) - now()) * 1000)::float8 AS wait_ms`.execute(db);
  const row = r.rows[0];
  return row ? Math.max(0, row.wait_ms) : undefined;
}
