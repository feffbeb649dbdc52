// Conversation tests that read like the conversation, through converse() itself (no webhooks):
//
//   const jane = talker(db, config, member);
//   t.match(await jane.say('RAISE'), /infected computer/);
//
// Each say() runs converse() in its own transaction, as the inbound edge does, and returns the
// replies it queued for that member (outbox rows of kind 'reply', in order).
import type { Database } from '../../src/db/connect.js';
import type { Config } from '../../src/config.js';
import type { Member, Role } from '../../src/db/schema.js';
import { converse } from '../../src/conversation/handle.js';

export interface MemberSpec {
  name: string;
  organisation?: string;
  role?: Role;
  optedOut?: boolean;
}

export async function insertMembers(db: Database, specs: MemberSpec[], firstPhone = 100): Promise<Member[]> {
  return db
    .insertInto('members')
    .values(
      specs.map((s, i) => ({
        name: s.name,
        phone: `+447700900${String(firstPhone + i).padStart(3, '0')}`,
        email: null,
        organisation: s.organisation ?? 'Northtown Trust',
        role: s.role ?? 'member',
        forum_username: null,
        opted_out: s.optedOut ?? false,
        opted_out_at: s.optedOut ? new Date() : null,
      })),
    )
    .returningAll()
    .execute();
}

export interface Talker {
  member: Member;
  /** Sends a text at `now` (default: the talker's clock) and returns the replies it caused. */
  say(text: string, now?: Date): Promise<string>;
}

export function talker(db: Database, config: Config, member: Member, clock: () => Date = () => new Date()): Talker {
  let seen: bigint | undefined; // outbox ids already returned; starts after what exists now
  return {
    member,
    async say(text, now = clock()) {
      if (seen === undefined) {
        const r = await db.selectFrom('outbox').select((eb) => eb.fn.max('id').as('max')).where('member_id', '=', member.id).executeTakeFirst();
        seen = BigInt(r?.max ?? 0);
      }
      // Re-read the member: STOP/START and role changes must be seen as the edge would see them.
      await db.transaction().execute(async (trx) => {
        const m = await trx.selectFrom('members').selectAll().where('id', '=', member.id).executeTakeFirstOrThrow();
        await converse(trx, { config }, m, text, now);
      });
      const rows = await db
        .selectFrom('outbox')
        .select(['id', 'body'])
        .where('member_id', '=', member.id)
        .where('kind', '=', 'reply')
        .where('id', '>', String(seen))
        .orderBy('id')
        .execute();
      for (const r of rows) if (BigInt(r.id) > seen) seen = BigInt(r.id);
      return rows.map((r) => r.body).join('\n');
    },
  };
}

/** The one-time code in a "Reply CONFIRM 123456" prompt. */
export function codeIn(reply: string): string {
  const m = /CONFIRM (\d{4,8})/.exec(reply);
  if (!m) throw new Error(`no CONFIRM code in: ${reply}`);
  return m[1]!;
}
