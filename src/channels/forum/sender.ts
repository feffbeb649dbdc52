// The forum channel: one Discourse topic per alert, sent from the outbox like a text.
// Never twice: each attempt first asks Discourse for the topic by its external_id (fixed when
// the alert was created), so a timeout after Discourse created the topic, a crash before we
// recorded it, or a duplicate-external_id 422 all end with the existing topic recorded.
import type { Database } from '../../db/connect.js';
import type { DiscourseConfig } from '../../config.js';
import type { OutboxRow } from '../../db/schema.js';
import type { Sender, SendOutcome } from '../../outbox/channel.js';
import { discourseClient, type DiscourseAnswer, type DiscourseClient, type DiscourseTopicRef } from './client.js';
import { forumExternalId, installId } from '../../db/install-id.js';
import { renderTopic } from './render.js';
import type { ForumPayload } from '../../outbox/write.js';

export interface ForumSenderDeps {
  db: Database;
  discourse: DiscourseConfig;
  batsignalNumber: string;
  /** Per request; an answer slower than this counts as uncertain (the topic may exist). */
  timeoutMs?: number;
}

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

  async function send(row: OutboxRow): Promise<SendOutcome> {
    if (row.alert_number === null) return fail('forum row without an alert');
    const alert = await db.selectFrom('alerts').selectAll().where('number', '=', row.alert_number).executeTakeFirst();
    if (!alert) return fail(`alert #${row.alert_number} not found`);
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
