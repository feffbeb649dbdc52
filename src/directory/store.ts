// The member registry in SQL: list, get, create, update, delete. Input arrives checked
// (validate.ts); this module maps database conflicts to 409s and rows to the API's shape.
import { sql, type Selectable } from 'kysely';
import type { CountryCode } from 'libphonenumber-js';
import type { Database } from '../db/connect.js';
import type { MembersTable, Role } from '../db/schema.js';
import { HttpError, notFound } from '../http/errors.js';
import { normalisePhone } from './phone.js';
import type { MemberFields } from './validate.js';

/** What the API shows: the stored fields plus identity, opt-out and times. */
export interface MemberView extends MemberFields {
  id: number;
  optedOut: boolean;
  optedOutAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
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
  };
}

export interface MemberFilter {
  role?: Role | undefined;
  optedOut?: boolean | undefined;
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
  return { members: rows.map(memberView), total: Number(count.n) };
}

export async function getMember(db: Database, id: number): Promise<MemberView> {
  const row = await db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Member ${id}`);
  return memberView(row);
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

export async function createMember(db: Database, m: MemberFields): Promise<MemberView> {
  await assertForumUsernameFree(db, m.forumUsername);
  const row = await db
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
    .executeTakeFirstOrThrow()
    .catch((err) => conflict(err, m));
  return memberView(row);
}

export type MemberPatch = Partial<MemberFields> & { optedOut?: boolean };

export async function updateMember(db: Database, id: number, p: MemberPatch, now: Date): Promise<MemberView> {
  await assertForumUsernameFree(db, p.forumUsername, id);
  const row = await db
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
      updated_at: now,
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
    .catch((err) => conflict(err, p));
  if (!row) throw notFound(`Member ${id}`);
  return memberView(row);
}

/** Deliveries cascade; outbox rows keep their history with member_id set null (schema). */
export async function deleteMember(db: Database, id: number): Promise<void> {
  const r = await db.deleteFrom('members').where('id', '=', id).executeTakeFirst();
  if (r.numDeletedRows === 0n) throw notFound(`Member ${id}`);
}
