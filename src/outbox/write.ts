// The one writer of outbox rows: every row of every channel and kind is written here, in the
// deciding transaction, with its typed payload. The forum and email rows of an alert are queued in
// the alert's own transaction: they exist exactly when the alert does. Each channel has its own
// dispatcher loop, so a forum or mail server that is slow or down never holds up the texts.
import { sql, type RawBuilder } from 'kysely';
import { DEFERRED, PREPARED, type Tx } from '../db/connect.js';
import type { Alert, OutboxKind } from '../db/schema.js';
import type { Config } from '../config.js';
import { forumExternalId, installId } from '../db/install-id.js';
import { emailSubject } from '../text/subject.js';

export const PRIORITY_REPLY = 0; // a member's own conversation goes ahead of a broadcast
export const PRIORITY_BROADCAST = 1;
/** Replies to unknown numbers: behind every broadcast, so a flood of strangers never delays an alert. */
export const PRIORITY_STRANGER = 2;
/** Welcome texts to new members: behind every broadcast too, so importing 5,000 members never delays an alert. */
export const PRIORITY_WELCOME = 2;

export interface OutgoingSms {
  memberId: number | null;
  /** E.164 with '+'. */
  to: string;
  body: string;
  kind: OutboxKind;
  alertNumber?: number | null;
  /** Default: PRIORITY_REPLY for kind 'reply', else PRIORITY_BROADCAST. */
  priority?: number;
}

/**
 * Queues texts in the caller's transaction: they exist exactly when the decision that made them does.
 * The caller wakes the dispatchers after commit (OutboxSignal.touch, src/outbox/signal.ts).
 */
export async function enqueueSms(trx: Tx, msgs: readonly OutgoingSms[], now: Date): Promise<string[]> {
  if (msgs.length === 0) return [];
  if (msgs.length === 1) {
    const r = await sql<{ id: string }>`${sql.raw(PREPARED)} ${oneSms(msgs[0]!, now)} RETURNING id`.execute(trx);
    return r.rows.map((row) => row.id);
  }
  const rows = await trx
    .insertInto('outbox')
    .values(
      msgs.map((m) => ({
        channel: 'sms' as const,
        kind: m.kind,
        priority: priorityOf(m),
        alert_number: m.alertNumber ?? null,
        member_id: m.memberId,
        recipient: m.to,
        body: m.body,
        payload: null,
        // The caller's clock, as every outbox statement uses (claimDue compares with it).
        created_at: now,
        next_attempt_at: now,
      })),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Replies in the caller's transaction, for texts nobody needs the id of (a member's replies, a
 * stranger's). One reply, the commonest write of every webhook (ACK, HELP, each step of a raise), is
 * DEFERRED (src/db/connect.ts): its insert goes to PostgreSQL with the transaction's next statement,
 * usually its COMMIT, in one round trip.
 */
export async function enqueueReplies(trx: Tx, msgs: readonly OutgoingSms[], now: Date): Promise<void> {
  if (msgs.length === 1) await sql`${sql.raw(DEFERRED)} ${sql.raw(PREPARED)} ${oneSms(msgs[0]!, now)}`.execute(trx);
  else await enqueueSms(trx, msgs, now);
}

const priorityOf = (m: OutgoingSms): number => m.priority ?? (m.kind === 'reply' ? PRIORITY_REPLY : PRIORITY_BROADCAST);

/**
 * One text's insert, with a fixed text for PREPARED (src/db/connect.ts): its planning costs more
 * than the insert. PostgreSQL CPU per ACK (backends' /proc CPU over 5,400 ACKs): 0.85 ms with only
 * the intake prepared, 0.66-0.70 ms with every statement of the ACK prepared.
 */
const oneSms = (m: OutgoingSms, now: Date) => sql`
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, payload, created_at, next_attempt_at)
      VALUES ('sms', ${m.kind}, ${priorityOf(m)}, ${m.alertNumber ?? null}, ${m.memberId}, ${m.to}, ${m.body}, NULL, ${now}, ${now})`;

/** Kinds of texts sent to many members at once, at broadcast priority. */
export type BroadcastKind = Exclude<OutboxKind, 'reply'>;

/**
 * A set-based SMS enqueue, for use inside the caller's statement (a CTE): one broadcast-priority
 * 'sms' row per row of `recipients`, a SELECT yielding `member_id`, `recipient` (E.164) and `body`
 * (and `alert_number` when `alertNumber` is 'per row'), in the order to send (ids are given in
 * that order). Returns `id, member_id` of each row written. One statement for 100,000 members.
 */
export function smsRowsFrom(kind: BroadcastKind, alertNumber: number | 'per row', now: Date, recipients: RawBuilder<unknown>): RawBuilder<{ id: string; member_id: number }> {
  return sql`
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, created_at, next_attempt_at)
      SELECT 'sms', ${kind}, ${PRIORITY_BROADCAST}, ${alertNumber === 'per row' ? sql`r.alert_number` : alertNumber}, r.member_id, r.recipient, r.body, ${now}, ${now}
      FROM (${recipients}) AS r
      RETURNING id, member_id`;
}

/**
 * Welcome texts (kind 'welcome', no alert), inside the caller's statement: one row per row of
 * `recipients`, a SELECT yielding `member_id`, `recipient` (E.164) and `body`, at PRIORITY_WELCOME.
 * Set-based, so an import of any size is one statement (src/directory/verification.ts).
 */
export function welcomeRowsFrom(now: Date, recipients: RawBuilder<unknown>): RawBuilder<{ id: string; member_id: number }> {
  return sql`
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, created_at, next_attempt_at)
      SELECT 'sms', 'welcome', ${PRIORITY_WELCOME}, NULL, r.member_id, r.recipient, r.body, ${now}, ${now}
      FROM (${recipients}) AS r
      RETURNING id, member_id`;
}

/**
 * The email rows of a broadcast, inside the caller's statement: one per row of `recipients`, a
 * SELECT yielding `member_id`, `recipient` (an address) and `sms_opted_out` (the EmailPayload), in
 * the order to send. The body is the subject (the email is rendered again at send time).
 */
export function emailRowsFrom(
  kind: BroadcastKind,
  alertNumber: number,
  subject: string,
  now: Date,
  recipients: RawBuilder<unknown>,
  followUp?: FollowUpWords,
): RawBuilder<{ id: string }> {
  const extra = followUp === undefined ? sql`'{}'::jsonb` : sql`jsonb_build_object('followUp', ${JSON.stringify(followUp)}::jsonb)`;
  return sql`
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, payload, created_at, next_attempt_at)
      SELECT 'email', ${kind}, ${PRIORITY_BROADCAST}, ${alertNumber}, r.member_id, r.recipient, ${subject},
             jsonb_build_object('smsOptedOut', r.sms_opted_out) || ${extra}, ${now}, ${now}
      FROM (${recipients}) AS r
      RETURNING id`;
}

/** Which other channels are configured; absent means off (createAlert's callers pass otherChannels(config)). */
export interface OtherChannels {
  discourse?: boolean;
  smtp?: boolean;
}

export function otherChannels(config: Pick<Config, 'discourse' | 'smtp'>): OtherChannels {
  return { discourse: config.discourse !== undefined, smtp: config.smtp !== undefined };
}

/**
 * An UPDATE or ALLCLEAR as the email and forum senders render it (src/channels/): who sent it, when,
 * and their words (may be empty for ALLCLEAR). The alert row itself keeps no follow-up text.
 */
export interface FollowUpWords {
  kind: 'update' | 'allclear';
  /** "Jane Smith (Northtown Trust)". */
  from: string;
  text: string;
  /** ISO time the follow-up was sent. */
  at: string;
}

/**
 * Payload of a 'forum' outbox row: the topic's external_id is fixed when the alert is created.
 * A follow-up (kind 'update'/'allclear') is a reply in that topic: `followUp` holds its words.
 */
export interface ForumPayload {
  externalId: string;
  followUp?: FollowUpWords;
}

/** Payload of an 'email' outbox row. */
export interface EmailPayload {
  /** The member opted out of alert texts: the email says so and does not ask for an ACK by text. */
  smsOptedOut: boolean;
  /** Present on an UPDATE/ALLCLEAR email (kind 'update'/'allclear'). */
  followUp?: FollowUpWords;
}

/**
 * One 'forum' row (unless the alert came from the forum: it already is a topic) and one 'email' row
 * per member with an address, the raiser excepted. Members who sent STOP still get the email:
 * STOP is the SMS opt-out; they remain members of the network (docs/channels.md).
 */
export async function enqueueOtherChannels(
  trx: Tx,
  alert: Alert,
  raiserId: number | null,
  channels: OtherChannels = {},
  // The last member id the emails written now go to (the texts' first batch); null: everyone.
  emailUpTo: number | null = null,
): Promise<void> {
  const now = alert.created_at;
  if (channels.discourse && alert.source !== 'forum' && alert.forum_topic_id === null) {
    const payload: ForumPayload = { externalId: forumExternalId(await installId(trx), alert.number) };
    await trx
      .insertInto('outbox')
      .values({
        channel: 'forum',
        kind: 'alert',
        priority: PRIORITY_BROADCAST,
        alert_number: alert.number,
        member_id: null,
        recipient: 'forum',
        body: payload.externalId,
        payload: JSON.stringify(payload),
        created_at: now,
        next_attempt_at: now,
      })
      .execute();
  }
  if (channels.smtp) await enqueueAlertEmails(trx, alert, raiserId, now, { after: 0, upTo: emailUpTo });
}

/** Member ids after `after` up to `upTo` (inclusive; null: to the end). */
export interface MemberRange {
  after: number;
  upTo: number | null;
}

/**
 * The alert's emails to the members whose ids are in `range` and who have an address (opted out of
 * texts or not: STOP is the SMS opt-out), in member id order. The fan-out writes them range by
 * range beside the texts (src/alerts/fanout.ts), so no transaction writes 100,000 of them.
 */
export async function enqueueAlertEmails(
  trx: Tx,
  alert: { number: number; summary: string; exercise: boolean },
  raiserId: number | null,
  now: Date,
  range: MemberRange,
): Promise<void> {
  await emailRowsFrom('alert', alert.number, emailSubject(alert), now, sql`
      SELECT m.id AS member_id, btrim(m.email) AS recipient, m.opted_out AS sms_opted_out
      FROM members m
      WHERE m.email IS NOT NULL AND btrim(m.email) <> '' AND m.id IS DISTINCT FROM ${raiserId}
        AND m.contact_role <> 'deputy' -- held back with their texts (src/alerts/escalation.ts)
        AND m.id > ${range.after} ${range.upTo === null ? sql`` : sql`AND m.id <= ${range.upTo}`}
      ORDER BY m.id`).execute(trx);
}

/**
 * The other channels of an UPDATE or ALLCLEAR, in the follow-up's transaction (src/alerts/followup.ts):
 * one email to each member of the alert with an address, whether or not they opted out of texts
 * since (STOP is the SMS opt-out), and one reply post in the alert's forum topic. Members of the
 * alert: its recipients (deliveries rows, deputies included once escalated to) and everyone the
 * alert itself was emailed to (members opted out of texts at the time have no deliveries row).
 * The forum row is written even if the topic is not yet known: its sender waits for the topic
 * (src/channels/forum/sender.ts), so the reply is never lost.
 */
export async function enqueueFollowUpChannels(
  trx: Tx,
  p: { alertNumber: number; subject: string; words: FollowUpWords; now: Date; channels?: OtherChannels | undefined },
): Promise<{ emails: number; forum: boolean }> {
  const channels = p.channels ?? {};
  const { alertNumber: n, now, words } = p;
  let forum = false;
  if (channels.discourse) {
    const payload: ForumPayload = { externalId: forumExternalId(await installId(trx), n), followUp: words };
    await trx
      .insertInto('outbox')
      .values({
        channel: 'forum',
        kind: words.kind,
        priority: PRIORITY_BROADCAST,
        alert_number: n,
        member_id: null,
        recipient: 'forum',
        body: payload.externalId,
        payload: JSON.stringify(payload),
        created_at: now,
        next_attempt_at: now,
      })
      .execute();
    forum = true;
  }
  let emails = 0;
  if (channels.smtp) {
    const r = await sql<{ n: number }>`
      WITH e AS (${emailRowsFrom(words.kind, n, p.subject, now, sql`
        SELECT m.id AS member_id, btrim(m.email) AS recipient, m.opted_out AS sms_opted_out
        FROM members m
        WHERE m.email IS NOT NULL AND btrim(m.email) <> ''
          AND (EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_number = ${n} AND d.member_id = m.id)
            OR EXISTS (SELECT 1 FROM outbox o WHERE o.alert_number = ${n} AND o.kind = 'alert' AND o.channel = 'email' AND o.member_id = m.id))
        ORDER BY m.id`, words)})
      SELECT count(*)::int AS n FROM e`.execute(trx);
    emails = r.rows[0]!.n;
  }
  return { emails, forum };
}

/** Many texts at once (advisories: one per contact, each its own body): one statement, opted-out members skipped. */
export async function enqueueSmsToMembers(
  trx: Tx,
  p: { kind: OutboxKind; alertNumber: number; now: Date; memberIds: readonly number[]; bodies: readonly string[] },
): Promise<{ id: string; member_id: number }[]> {
  if (p.memberIds.length === 0) return [];
  const r = await sql<{ id: string; member_id: number }>`
    INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, created_at, next_attempt_at)
    SELECT 'sms', ${p.kind}, ${PRIORITY_BROADCAST}, ${p.alertNumber}, m.id, m.phone, x.body, ${p.now}, ${p.now}
    FROM unnest(${p.memberIds}::int[], ${p.bodies}::text[]) AS x(member_id, body)
    JOIN members m ON m.id = x.member_id
    WHERE NOT m.opted_out
    ORDER BY m.id
    RETURNING id, member_id`.execute(trx);
  return r.rows;
}

/**
 * One email each to these members where they have an address (opted-out members too: STOP is the
 * SMS opt-out). The sender renders the message at send time from the row's kind and alert number.
 */
export async function enqueueEmailToMembers(
  trx: Tx,
  p: { kind: OutboxKind; alertNumber: number; now: Date; memberIds: readonly number[]; subject: string },
): Promise<number> {
  if (p.memberIds.length === 0) return 0;
  const r = await sql<{ n: number }>`
    WITH e AS (
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, payload, created_at, next_attempt_at)
      SELECT 'email', ${p.kind}, ${PRIORITY_BROADCAST}, ${p.alertNumber}, m.id, btrim(m.email), ${p.subject},
             jsonb_build_object('smsOptedOut', m.opted_out), ${p.now}, ${p.now}
      FROM members m
      WHERE m.id = ANY(${p.memberIds}::int[]) AND m.email IS NOT NULL AND btrim(m.email) <> ''
      ORDER BY m.id
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM e`.execute(trx);
  return r.rows[0]!.n;
}
