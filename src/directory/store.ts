// The member registry in SQL: list, get, create, update, delete. Input arrives checked
// (validate.ts); this module maps database conflicts to 409s and rows to the API's shape.
import { sql, type Selectable } from 'kysely';
import type { CountryCode } from 'libphonenumber-js';
import type { Database, Tx } from '../db/connect.js';
import type { MembersTable, Role } from '../db/schema.js';
import { HttpError, notFound } from '../http/errors.js';
import { normalisePhone } from './phone.js';
import type { MemberFields } from './validate.js';
import { lastTexts, queueWelcomes, undeliverableSql } from './verification.js';

/** What the API shows: the stored fields plus identity, opt-out and times. */
export interface MemberView extends MemberFields {
  id: number;
  optedOut: boolean;
  optedOutAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** When they replied JOIN to the welcome; null: not verified (alerts still go to them). */
  verifiedAt: Date | null;
  /** When the welcome was last sent; null: never. */
  welcomedAt: Date | null;
  /** The last text to them with a final outcome; null: none yet. 'failed': the number looks undeliverable. */
  lastText: { outcome: 'delivered' | 'failed'; at: Date; error: string | null } | null;
}

export function memberView(r: Selectable<MembersTable>): MemberView {
  return {
    id: r.id,
    name: r.name,
    phone: r.phone,
    email: r.email,
    organisation: r.organisation,
    role: r.role,
    forumUsername: r.forum_username,
    odsCode: r.ods_code,
    contactRole: r.contact_role,
    optedOut: r.opted_out,
    optedOutAt: r.opted_out_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    verifiedAt: r.verified_at,
    welcomedAt: r.welcomed_at,
    lastText: null,
  };
}

/** The views with each member's last text outcome filled in (one query). */
export async function withLastTexts(db: Database | Tx, views: MemberView[]): Promise<MemberView[]> {
  const last = await lastTexts(db, views.map((v) => v.id));
  for (const v of views) {
    const l = last.get(v.id);
    v.lastText = l ? { outcome: l.failed ? 'failed' : 'delivered', at: l.at, error: l.failed ? l.error : null } : null;
  }
  return views;
}

export interface MemberFilter {
  role?: Role | undefined;
  optedOut?: boolean | undefined;
  /** true: replied JOIN; false: not (yet). */
  verified?: boolean | undefined;
  /** true: only members whose last text failed. */
  undeliverable?: boolean | undefined;
  /** Part of a name, organisation, email or forum username; or a phone number in any format. */
  search?: string | undefined;
  limit: number;
  offset: number;
}

const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (c) => '\\' + c)}%`;

export async function listMembers(
  db: Database,
  f: MemberFilter,
  country: CountryCode,
): Promise<{ members: MemberView[]; total: number }> {
  let q = db.selectFrom('members');
  if (f.role) q = q.where('role', '=', f.role);
  if (f.optedOut !== undefined) q = q.where('opted_out', '=', f.optedOut);
  if (f.verified !== undefined) q = q.where('verified_at', f.verified ? 'is not' : 'is', null);
  if (f.undeliverable) q = q.where(undeliverableSql);
  const search = f.search?.trim();
  if (search) {
    const like = likePattern(search);
    const phone = normalisePhone(search, country);
    const digits = search.replace(/\D/g, '');
    q = q.where((eb) =>
      eb.or([
        eb('name', 'ilike', like),
        eb('organisation', 'ilike', like),
        eb('email', 'ilike', like),
        eb('forum_username', 'ilike', like),
        ...(phone.ok ? [eb('phone', '=', phone.e164)] : []),
        // The last digits of a number ("900123") find it too.
        ...(digits.length >= 4 && digits === search.replace(/\s/g, '') ? [eb('phone', 'like', likePattern(digits))] : []),
      ]),
    );
  }
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('name').orderBy('id').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { members: await withLastTexts(db, rows.map(memberView)), total: Number(count.n) };
}

export async function getMember(db: Database, id: number): Promise<MemberView> {
  const row = await db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Member ${id}`);
  return (await withLastTexts(db, [memberView(row)]))[0]!;
}

/** 23505 on members' unique columns -> a 409 that says which value is taken (never logged). */
function conflict(err: unknown, m: Partial<MemberFields>): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'members_phone_key') {
    throw new HttpError('phone_taken', `Another member already has the phone number ${m.phone}.`);
  }
  if (e.code === '23505' && e.constraint === 'members_forum_username_key') {
    throw new HttpError('forum_username_taken', `Another member already has the forum username ${m.forumUsername}.`);
  }
  if (e.code === '23503' && e.constraint === 'members_ods_code_fkey') {
    throw new HttpError('unknown_organisation', `odsCode ${m.odsCode ?? ''} is not in the directory; add the organisation first.`);
  }
  if (e.code === '23514' && e.constraint === 'members_contact_needs_org') {
    throw new HttpError('invalid_request', 'A primary or deputy contact needs an odsCode.');
  }
  throw new Error('write member', { cause: err });
}

/** Forum usernames are matched case-insensitively (inbound/forum-raise.ts), so "Jane" and "jane" clash. */
async function assertForumUsernameFree(db: Database, username: string | null | undefined, exceptId?: number) {
  if (!username) return;
  let q = db.selectFrom('members').select('id').where(sql<string>`lower(forum_username)`, '=', username.toLowerCase());
  if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
  if (await q.executeTakeFirst()) {
    throw new HttpError('forum_username_taken', `Another member already has the forum username ${username}.`);
  }
}

/** Adds the member and queues their welcome text in the same transaction (src/directory/verification.ts). */
export async function createMember(db: Database, m: MemberFields, now: Date): Promise<MemberView> {
  await assertForumUsernameFree(db, m.forumUsername);
  const row = await db.transaction().execute(async (trx) => {
    const added = await trx
    .insertInto('members')
    .values({
      name: m.name,
      phone: m.phone,
      email: m.email,
      organisation: m.organisation,
      role: m.role,
      forum_username: m.forumUsername,
      ods_code: m.odsCode,
      contact_role: m.contactRole,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
    await queueWelcomes(trx, [added.id], now);
    return trx.selectFrom('members').selectAll().where('id', '=', added.id).executeTakeFirstOrThrow();
  }).catch((err) => conflict(err, m));
  return memberView(row);
}

export type MemberPatch = Partial<MemberFields> & { optedOut?: boolean };

/** A new phone number is a new number to verify: its verification starts again, with a welcome to it. */
export async function updateMember(db: Database, id: number, p: MemberPatch, now: Date): Promise<MemberView> {
  await assertForumUsernameFree(db, p.forumUsername, id);
  const row = await db.transaction().execute(async (trx) => {
    const before = p.phone === undefined ? undefined : await trx.selectFrom('members').select('phone').where('id', '=', id).forUpdate().executeTakeFirst();
    const newNumber = before !== undefined && before.phone !== p.phone;
    const updated = await trx
    .updateTable('members')
    .set((eb) => ({
      ...(p.name !== undefined && { name: p.name }),
      ...(p.phone !== undefined && { phone: p.phone }),
      ...(p.email !== undefined && { email: p.email }),
      ...(p.organisation !== undefined && { organisation: p.organisation }),
      ...(p.role !== undefined && { role: p.role }),
      ...(p.forumUsername !== undefined && { forum_username: p.forumUsername }),
      ...(p.odsCode !== undefined && { ods_code: p.odsCode }),
      ...(p.contactRole !== undefined && { contact_role: p.contactRole }),
      ...(p.optedOut !== undefined && {
        opted_out: p.optedOut,
        // Keep the original time when nothing changes; clear it on opting back in.
        opted_out_at: eb
          .case()
          .when('opted_out', '=', p.optedOut)
          .then(eb.ref('opted_out_at'))
          .when(sql.lit(p.optedOut), '=', true)
          .then(now)
          .else(null)
          .end(),
      }),
      ...(newNumber && { verified_at: null, welcomed_at: null }),
      updated_at: now,
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
    if (!updated || !newNumber) return updated;
    await queueWelcomes(trx, [id], now);
    return trx.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }).catch((err) => conflict(err, p));
  if (!row) throw notFound(`Member ${id}`);
  return (await withLastTexts(db, [memberView(row)]))[0]!;
}

/** Sends the welcome again (an admin's button): 'sent', or 'optedOut' (nothing sent: STOP is honoured). */
export async function resendWelcome(db: Database, id: number, now: Date): Promise<{ outcome: 'sent' | 'optedOut'; member: MemberView }> {
  return db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('members').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
    if (!exists) throw notFound(`Member ${id}`);
    const sent = await queueWelcomes(trx, [id], now, { resend: true });
    const row = await trx.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { outcome: sent.length > 0 ? 'sent' : 'optedOut', member: (await withLastTexts(trx, [memberView(row)]))[0]! };
  });
}

/** Deliveries cascade; outbox rows keep their history with member_id set null (schema). */
export async function deleteMember(db: Database, id: number): Promise<void> {
  const r = await db.deleteFrom('members').where('id', '=', id).executeTakeFirst();
  if (r.numDeletedRows === 0n) throw notFound(`Member ${id}`);
}
