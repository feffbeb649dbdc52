// The forum channel: one Discourse topic per alert, sent from the outbox like a text.
// Never twice: each attempt first asks Discourse for the topic by its external_id (fixed when
// the alert was created), so a timeout after Discourse created the topic, a crash before we
// recorded it, or a duplicate-external_id 422 all end with the existing topic recorded.
// An UPDATE or ALLCLEAR is a reply in that topic (rows of kind 'update'/'allclear'). It waits for
// the topic when the alert's own forum row has not yet created it (the attempt is given back:
// waiting never uses up its attempts), and fails only when that row failed for good. A reply has no
// external_id, so it carries a marker (an HTML comment with the outbox row id) and each attempt
// first reads the topic's raw posts for it: an earlier attempt that timed out after Discourse posted
// is found, not posted again.
import type { Database } from '../../db/connect.js';
import type { DiscourseConfig } from '../../config.js';
import type { Alert, OutboxRow } from '../../db/schema.js';
import type { Sender, SendOutcome } from '../../outbox/channel.js';
import { discourseClient, RAW_PAGE_SIZE, type DiscourseAnswer, type DiscourseClient, type DiscourseTopicRef } from './client.js';
import { forumExternalId, installId } from '../../db/install-id.js';
import { renderReply, renderTopic } from './render.js';
import type { ForumPayload } from '../../outbox/write.js';

export interface ForumSenderDeps {
  db: Database;
  discourse: DiscourseConfig;
  batsignalNumber: string;
  /** Per request; an answer slower than this counts as uncertain (the topic may exist). */
  timeoutMs?: number;
  /** A reply whose topic is still being created looks again after this (default 5 s). */
  topicWaitMs?: number;
  /** A reply whose topic is held for a moderator looks again after this (default 60 s)... */
  moderationWaitMs?: number;
  /** ...for at most this long after the follow-up (default 24 h), then fails. */
  moderationGiveUpMs?: number;
}

/** Pages of /raw/:topic_id read looking for a reply's marker (10,000 posts). */
const MAX_RAW_PAGES = 100;

const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

const retry = (error: string, retryAfterMs?: number | null): SendOutcome =>
  retryAfterMs == null ? { ok: false, retry: true, error } : { ok: false, retry: true, error, retryAfterMs };
const fail = (error: string): SendOutcome => ({ ok: false, retry: false, error });

/** Answers that end the attempt whatever was asked: wait, retry, or give up. */
function transient(a: DiscourseAnswer): SendOutcome | null {
  switch (a.kind) {
    case 'rateLimited':
      return retry('discourse rate limit (429)', a.waitMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
    case 'unavailable':
      return retry(`discourse unavailable (${a.status})`, a.waitMs);
    case 'unreachable':
      return retry(`discourse unreachable: ${a.error}${a.maybeSent ? ' (may have been created; looked up next time)' : ''}`);
    default:
      return null;
  }
}

export function createForumSender(deps: ForumSenderDeps, client: DiscourseClient = discourseClient(deps.discourse, deps.timeoutMs)): Sender {
  const { db } = deps;

  async function record(alertNumber: number, topic: DiscourseTopicRef): Promise<SendOutcome> {
    await db
      .updateTable('alerts')
      .set({ forum_topic_id: topic.topicId, forum_topic_url: client.topicUrl(topic) })
      .where('number', '=', alertNumber)
      .where('forum_topic_id', 'is', null)
      .execute();
    return { ok: true, providerId: String(topic.topicId) };
  }

  const waiting = (error: string, ms: number): SendOutcome => ({ ok: false, retry: true, waiting: true, error, retryAfterMs: ms });

  /** The alert's topic for a reply: known, found by external_id now, or a reason to wait or give up. */
  async function topicFor(row: OutboxRow, alert: Alert, externalId: string): Promise<number | SendOutcome> {
    if (alert.forum_topic_id !== null) return alert.forum_topic_id;
    // The alert's own forum row creates the topic and records it: while it is still to go, wait
    // (without asking Discourse: a forum that is down must not use up the reply's attempts).
    const raise = await db
      .selectFrom('outbox')
      .select(['state', 'provider_id', 'last_error'])
      .where('alert_number', '=', alert.number)
      .where('channel', '=', 'forum')
      .where('kind', '=', 'alert')
      .orderBy('id')
      .executeTakeFirst();
    if (!raise) return fail(`alert #${alert.number} has no forum topic and none is queued (the forum was off when it was raised)`);
    if (raise.state === 'failed') return fail(`the topic of alert #${alert.number} was never created: ${raise.last_error ?? 'failed'}`);
    if (raise.state !== 'sent') return waiting(`waiting for the topic of alert #${alert.number} to be created`, deps.topicWaitMs ?? 5_000);
    // Sent: recorded just now, or held for a moderator (no topic id until approved). Ask Discourse.
    const found = await client.findByExternalId(externalId);
    if (found.kind === 'found') {
      await record(alert.number, found.topic);
      return found.topic.topicId;
    }
    const t = transient(found);
    if (t) return t;
    if (found.kind !== 'notFound') return fail(`looking up ${externalId}: ${describeAnswer(found)}`);
    if (Date.now() - row.created_at.getTime() > (deps.moderationGiveUpMs ?? 24 * 3_600_000)) {
      return fail(`the topic of alert #${alert.number} was never approved on the forum (${raise.provider_id ?? 'no topic'})`);
    }
    return waiting(`waiting for the topic of alert #${alert.number} (held for a moderator)`, deps.moderationWaitMs ?? 60_000);
  }

  async function sendReply(row: OutboxRow, alert: Alert, payload: Partial<ForumPayload> | null, externalId: string): Promise<SendOutcome> {
    const f = payload?.followUp;
    if (!f || (row.kind !== 'update' && row.kind !== 'allclear') || typeof f.text !== 'string' || typeof f.from !== 'string') return fail(`${row.kind} forum row without its words`);
    const topicId = await topicFor(row, alert, externalId);
    if (typeof topicId !== 'number') return topicId;

    const marker = `<!-- batsignal-post ${externalId} ${row.id} -->`;
    for (let page = 1; page <= MAX_RAW_PAGES; page++) {
      const raw = await client.rawPage(topicId, page);
      const t = transient(raw);
      if (t) return t;
      if (raw.kind === 'notFound') return fail(`the topic of alert #${alert.number} (${topicId}) is gone from the forum`);
      if (raw.kind !== 'raw') return fail(`reading topic ${topicId}: ${describeAnswer(raw)}`);
      if (raw.text.includes(marker)) return { ok: true, providerId: 'posted', note: 'found posted by an earlier attempt' };
      if (raw.posts < RAW_PAGE_SIZE) break;
    }

    const body = renderReply(alert, { kind: row.kind, from: f.from, text: f.text, at: new Date(f.at) }, deps.batsignalNumber, marker);
    const posted = await client.createReply(topicId, body);
    switch (posted.kind) {
      case 'replied':
        return { ok: true, providerId: String(posted.postId) };
      case 'enqueued':
        return { ok: true, providerId: posted.pendingPostId === null ? 'enqueued' : `enqueued:${posted.pendingPostId}`, note: 'held for moderator approval on the forum' };
      case 'invalid':
        return fail(`discourse refused the reply (${posted.status}): ${posted.errors.join('; ')}`);
      default:
        return transient(posted) ?? fail(describeAnswer(posted));
    }
  }

  async function send(row: OutboxRow): Promise<SendOutcome> {
    if (row.alert_number === null) return fail('forum row without an alert');
    const alert = await db.selectFrom('alerts').selectAll().where('number', '=', row.alert_number).executeTakeFirst();
    if (!alert) return fail(`alert #${row.alert_number} not found`);
    if (row.kind !== 'alert') {
      const p = row.payload as Partial<ForumPayload> | null;
      const ext = typeof p?.externalId === 'string' ? p.externalId : forumExternalId(await installId(db), alert.number);
      return sendReply(row, alert, p, ext);
    }
    // Raised from the forum, or recorded by an earlier attempt: the topic exists.
    if (alert.forum_topic_id !== null) return { ok: true, providerId: String(alert.forum_topic_id) };

    const payload = row.payload as Partial<ForumPayload> | null;
    const externalId = typeof payload?.externalId === 'string' ? payload.externalId : forumExternalId(await installId(db), alert.number);

    const before = await client.findByExternalId(externalId);
    if (before.kind === 'found') return record(alert.number, before.topic);
    const t1 = transient(before);
    if (t1) return t1;
    if (before.kind !== 'notFound') return fail(`looking up ${externalId}: ${describeAnswer(before)}`);

    const topic = renderTopic(alert, deps.batsignalNumber);
    const created = await client.createTopic({ ...topic, category: deps.discourse.categoryId, externalId });
    switch (created.kind) {
      case 'created':
        return record(alert.number, created.topic);
      case 'enqueued':
        // Held for a moderator's approval: Discourse has it; posting again would queue a second copy.
        return {
          ok: true,
          providerId: created.pendingPostId === null ? 'enqueued' : `enqueued:${created.pendingPostId}`,
          note: 'held for moderator approval on the forum: no topic link until it is approved',
        };
      case 'invalid': {
        // A duplicate external_id (a concurrent attempt won) is a 422 too: the topic exists, use it.
        const after = await client.findByExternalId(externalId);
        if (after.kind === 'found') return record(alert.number, after.topic);
        return fail(`discourse refused the topic (${created.status}): ${created.errors.join('; ')}`);
      }
      default:
        return transient(created) ?? fail(describeAnswer(created));
    }
  }

  return {
    channel: 'forum',
    async send(row) {
      try {
        return await send(row);
      } catch (err) {
        // Our own database, not Discourse: try again later.
        return retry(`forum sender: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}

function describeAnswer(a: DiscourseAnswer): string {
  return a.kind === 'invalid' ? `${a.status}: ${a.errors.join('; ')}` : a.kind;
}
