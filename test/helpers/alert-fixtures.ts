// Members, alerts and delivery outcomes for the admin API, reminder, dashboard and bench scripts.
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/connect.js';
import type { Role } from '../../src/db/schema.js';
import { createAlert, type NewAlert } from '../../src/alerts/create.js';
import { continueFanOut } from '../../src/alerts/fanout.js';
import type { OtherChannels } from '../../src/outbox/write.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const SIGNATURE_SECRET = 'signature-secret-for-tests';
/** Batsignal's own number in these tests: outside the members' block (memberSpecs starts at 07700 900000). */
export const OUR_NUMBER = '447700900999';

export interface MemberSpec {
  name: string;
  phone: string;
  organisation?: string;
  role?: Role;
  optedOut?: boolean;
}

/** The i-th test phone: Ofcom's drama block first, then valid 07400 1xxxxx mobiles. */
export function testPhone(i: number): string {
  return i < 1000 ? `+447700900${String(i).padStart(3, '0')}` : `+4474001${String(i).padStart(5, '0')}`;
}

export function memberSpecs(n: number, from = 0): MemberSpec[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { name: `Member ${i}`, phone: testPhone(i), organisation: `Trust ${i % 7}` };
  });
}

export async function addMembers(db: Database, specs: MemberSpec[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < specs.length; i += 1000) {
    const rows = await db
      .insertInto('members')
      .values(
        specs.slice(i, i + 1000).map((m) => ({
          name: m.name,
          phone: m.phone,
          email: null,
          organisation: m.organisation ?? '',
          role: m.role ?? 'member',
          forum_username: null,
          opted_out: m.optedOut ?? false,
          opted_out_at: m.optedOut ? new Date() : null,
        })),
      )
      .returning('id')
      .execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

/**
 * Creates an alert as a confirmed raise does. `fanOut` (default true): also write the rest of a
 * broadcast larger than its first batch, as the server's fan-out worker would at once
 * (src/alerts/fanout.ts); false leaves that to a running server or instance.
 */
export async function raiseAlert(db: Database, now: Date, a: Partial<NewAlert> = {}, opts: { fanOut?: boolean; channels?: OtherChannels } = {}): Promise<number> {
  const created = await db.transaction().execute((trx) =>
    createAlert(
      trx,
      {
        raiserId: null,
        raiserName: 'Jane Smith',
        raiserOrg: 'Northtown Trust',
        summary: 'Ransomware spreading via SMB on the N3 link',
        exercise: false,
        source: 'admin',
        ...a,
      },
      now,
      opts.channels,
    ),
  );
  if (opts.fanOut !== false) while ((await continueFanOut(db, now)) !== null);
  return created.alert.number;
}

/** What the dispatcher and receipts would do: the alert's texts are sent at `sentAt`, with an optional receipt. */
export async function markSent(
  db: Database,
  alertNumber: number,
  sentAt: Date,
  opts: { memberIds?: number[]; receipt?: 'delivered' | 'failed' | 'accepted'; error?: string | null; state?: 'sent' | 'failed' } = {},
): Promise<void> {
  const state = opts.state ?? 'sent';
  await sql`
    UPDATE outbox o SET state = ${state}, sent_at = ${state === 'sent' ? sentAt : null},
      last_error = ${state === 'failed' ? (opts.error ?? 'provider refused') : null},
      receipt_status = ${opts.receipt ?? null}, receipt_error = ${opts.receipt === 'failed' ? (opts.error ?? null) : null},
      receipt_at = ${opts.receipt ? sentAt : null}
    FROM deliveries d
    WHERE d.sms_outbox_id = o.id AND d.alert_number = ${alertNumber}
      AND (${opts.memberIds ?? null}::int[] IS NULL OR d.member_id = ANY(${opts.memberIds ?? null}::int[]))`.execute(db);
}

/** An acknowledgement as the ACK handler records it (SQL stand-in where the test is not about ACK). */
export async function ackBySql(db: Database, alertNumber: number, memberId: number, at: Date): Promise<void> {
  await sql`UPDATE deliveries SET acked_at = ${at} WHERE alert_number = ${alertNumber} AND member_id = ${memberId} AND acked_at IS NULL`.execute(db);
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ ADMIN_TOKEN, VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET, BATSIGNAL_NUMBER: OUR_NUMBER, ...env });
}

export async function adminApp(db: Database, now: () => Date = () => new Date(), config = testConfig()): Promise<FastifyInstance> {
  return buildApp({ config, db, clock: now, adminTokens: [ADMIN_TOKEN] });
}

export const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
