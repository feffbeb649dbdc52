// Admins sign in as themselves, SMS-first (it works when email is down): an admin enters their
// number, a one-time code is texted to that phone through the outbox, and the code buys a session
// of their own: a random bearer token kept in the browser tab (no cookies, so no CSRF), of which
// only a SHA-256 is stored. The shared ADMIN_TOKEN stays for the API and automation.
//
// Rules: a code lives 10 minutes; three wrong codes lock it (ask for a new one); at most three
// codes per admin per 15 minutes; only the newest code counts. A number that is not an admin's gets
// the same answer as one that is, and no text: nothing reveals who is registered. A session lasts
// 12 hours (an incident shift), can be revoked, and ends when the member stops being an admin.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { CountryCode } from 'libphonenumber-js';
import type { Database, Tx } from '../db/connect.js';
import { enqueueSms } from '../outbox/write.js';
import { normalisePhone } from './phone.js';

export const CODE_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 12 * 3_600_000;
export const MAX_FAILED_ATTEMPTS = 3;
export const MAX_CODES = 3;
export const CODES_WINDOW_MS = 15 * 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const codeHash = (memberId: number, code: string) => sha256(`${memberId}:${code}`);

export function signinCodeText(code: string): string {
  return `Batsignal sign-in code: ${code}. It expires in 10 minutes. If you did not ask for it, tell your network's admins.`;
}

export type CodeRequest = { ok: true; texted: boolean } | { ok: false; reason: string };

/**
 * Texts a sign-in code to an admin's phone (in the caller's transaction). `texted` is for tests
 * and logs only: the HTTP answer is the same either way.
 */
export async function requestSigninCode(trx: Tx, phone: string, country: CountryCode, now: Date): Promise<CodeRequest> {
  const p = normalisePhone(phone, country);
  if (!p.ok) return { ok: false, reason: p.reason };
  const admin = await trx.selectFrom('members').select('id').where('phone', '=', p.e164).where('role', '=', 'admin').forUpdate().executeTakeFirst();
  if (!admin) return { ok: true, texted: false };
  const recent = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM admin_signin_codes WHERE member_id = ${admin.id} AND created_at > ${new Date(now.getTime() - CODES_WINDOW_MS)}`.execute(trx);
  if (recent.rows[0]!.n >= MAX_CODES) return { ok: true, texted: false };
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await trx
    .insertInto('admin_signin_codes')
    .values({ member_id: admin.id, code_hash: codeHash(admin.id, code), created_at: now, expires_at: new Date(now.getTime() + CODE_TTL_MS) })
    .execute();
  await enqueueSms(trx, [{ memberId: admin.id, to: p.e164, body: signinCodeText(code), kind: 'reply' }], now);
  return { ok: true, texted: true };
}

export type CodeCheck =
  | { ok: true; token: string; sessionId: string; expiresAt: Date; memberId: number; name: string }
  | { ok: false; reason: 'invalid' | 'locked' };

/** Checks a code against the admin's newest one; a match opens a session. */
export async function verifySigninCode(trx: Tx, phone: string, code: string, country: CountryCode, now: Date): Promise<CodeCheck> {
  const p = normalisePhone(phone, country);
  const digits = code.replace(/\s+/g, '');
  if (!p.ok || !/^\d{6}$/.test(digits)) return { ok: false, reason: 'invalid' };
  const admin = await trx.selectFrom('members').select(['id', 'name']).where('phone', '=', p.e164).where('role', '=', 'admin').executeTakeFirst();
  if (!admin) return { ok: false, reason: 'invalid' };
  // The newest code only, locked against a concurrent check of the same code.
  const row = await trx
    .selectFrom('admin_signin_codes')
    .selectAll()
    .where('member_id', '=', admin.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  if (!row || row.used_at || row.expires_at <= now) return { ok: false, reason: 'invalid' };
  if (row.locked_at) return { ok: false, reason: 'locked' };
  const match = timingSafeEqual(Buffer.from(row.code_hash, 'hex'), Buffer.from(codeHash(admin.id, digits), 'hex'));
  if (!match) {
    const failed = row.failed_attempts + 1;
    await trx
      .updateTable('admin_signin_codes')
      .set({ failed_attempts: failed, locked_at: failed >= MAX_FAILED_ATTEMPTS ? now : null })
      .where('id', '=', row.id)
      .execute();
    return { ok: false, reason: failed >= MAX_FAILED_ATTEMPTS ? 'locked' : 'invalid' };
  }
  await trx.updateTable('admin_signin_codes').set({ used_at: now }).where('id', '=', row.id).execute();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const s = await trx
    .insertInto('admin_sessions')
    .values({ token_hash: sha256(token), member_id: admin.id, created_at: now, expires_at: expiresAt, last_seen_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ok: true, token, sessionId: String(s.id), expiresAt, memberId: admin.id, name: admin.name };
}

export interface SessionActor {
  sessionId: string;
  memberId: number;
  name: string;
}

/** The signed-in admin a bearer token belongs to, while the session is live and they are still an admin. */
export async function verifySession(db: Database, token: string, now: Date): Promise<SessionActor | null> {
  // Tokens are 43 base64url characters; anything else is not one of ours (and skips the query).
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const r = await sql<{ id: string; member_id: number; name: string }>`
    UPDATE admin_sessions s SET last_seen_at = ${now}
    FROM members m
    WHERE s.token_hash = ${sha256(token)} AND s.revoked_at IS NULL AND s.expires_at > ${now}
      AND m.id = s.member_id AND m.role = 'admin'
    RETURNING s.id, s.member_id, m.name`.execute(db);
  const row = r.rows[0];
  return row ? { sessionId: String(row.id), memberId: row.member_id, name: row.name } : null;
}

/** Ends a session (signing out, or an admin revoking another's). False when there was none live. */
export async function revokeSession(db: Database, sessionId: string, now: Date): Promise<boolean> {
  if (!/^\d{1,18}$/.test(sessionId)) return false;
  const r = await db.updateTable('admin_sessions').set({ revoked_at: now }).where('id', '=', sessionId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export interface SessionView {
  id: string;
  memberId: number;
  name: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

/** Live sessions, newest first. */
export async function liveSessions(db: Database, now: Date): Promise<SessionView[]> {
  const rows = await db
    .selectFrom('admin_sessions as s')
    .innerJoin('members as m', 'm.id', 's.member_id')
    .select(['s.id', 's.member_id', 'm.name', 's.created_at', 's.last_seen_at', 's.expires_at'])
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .orderBy('s.created_at', 'desc')
    .execute();
  return rows.map((r) => ({ id: String(r.id), memberId: r.member_id, name: r.name, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at }));
}
