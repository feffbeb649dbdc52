// Raising an alert from the forum: a new topic in the Batsignal category, by a forum user who is a
// registered member, becomes alert #n with that topic as its forum topic. One topic, one alert:
// the topic id is unique on alerts, so a repeated webhook delivery finds the alert it already made, and
// every topic id acted on (raised or refused) is kept in forum_topics_seen, so none is acted on twice.
import type { Database } from '../db/connect.js';
import type { Config } from '../config.js';
import { createAlert } from '../alerts/create.js';
import { exerciseModeOn } from '../alerts/exercise.js';
import { raisesInLastHour } from '../conversation/store.js';
import { replies } from '../conversation/replies.js';
import { enqueueSms, otherChannels } from '../outbox/write.js';
import { headline } from '../text/when.js';

export interface ForumTopic {
  id: number;
  title: string;
  slug: string;
  categoryId: number;
  username: string;
}

export type ForumRaiseResult =
  | { outcome: 'raised'; alert: number; recipients: number; exercise: boolean }
  | { outcome: 'duplicate'; alert: number }
  | { outcome: 'seen' }
  | { outcome: 'unknownUser' }
  | { outcome: 'raiseLimit'; memberId: number };

// The summary goes into every text: the SMS raise's own limit (conversation MAX_DESCRIPTION).
const MAX_SUMMARY = 600;
const EXERCISE_MARK = /^\s*[[(]?\s*exercise\b\s*[\])]?\s*[:\-–—]?\s*/i;

/** The alert's words from a topic title: an EXERCISE mark taken off and made a flag. */
export function summaryFromTitle(title: string): { summary: string; exercise: boolean } {
  const exercise = EXERCISE_MARK.test(title);
  const rest = exercise ? title.replace(EXERCISE_MARK, '') : title;
  return { summary: headline(rest, MAX_SUMMARY) || headline(title, MAX_SUMMARY), exercise };
}

function isTopicTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && e.constraint === 'alerts_forum_topic';
}

async function alertForTopic(db: Database, topicId: number): Promise<number | null> {
  const row = await db.selectFrom('alerts').select('number').where('forum_topic_id', '=', topicId).executeTakeFirst();
  return row?.number ?? null;
}

export async function raiseFromForum(db: Database, config: Config, topic: ForumTopic, now: Date): Promise<ForumRaiseResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      // A topic is acted on once, raised or refused: a redelivery (or a replay once the user is a member) does nothing.
      const first = await trx
        .insertInto('forum_topics_seen')
        .values({ topic_id: topic.id, seen_at: now })
        .onConflict((oc) => oc.column('topic_id').doNothing())
        .returning('topic_id')
        .executeTakeFirst();
      if (!first) {
        const existing = await trx.selectFrom('alerts').select('number').where('forum_topic_id', '=', topic.id).executeTakeFirst();
        return existing ? { outcome: 'duplicate', alert: existing.number } : { outcome: 'seen' };
      }

      // Discourse usernames are unique regardless of case.
      const member = await trx
        .selectFrom('members')
        .selectAll()
        .where((eb) => eb(eb.fn('lower', ['forum_username']), '=', topic.username.toLowerCase()))
        .executeTakeFirst();
      if (!member) return { outcome: 'unknownUser' };
      // The same per-member limit as a raise by text, counted across both.
      if ((await raisesInLastHour(trx, member.id, now)) >= config.maxRaisesPerHour) return { outcome: 'raiseLimit', memberId: member.id };

      const words = summaryFromTitle(topic.title);
      const base = config.discourse?.url;
      const { alert, recipientCount } = await createAlert(
        trx,
        {
          raiserId: member.id,
          raiserName: member.name,
          raiserOrg: member.organisation,
          summary: words.summary,
          exercise: words.exercise || (await exerciseModeOn(trx)),
          source: 'forum',
          forumTopicId: topic.id,
          forumTopicUrl: base ? `${base}/t/${encodeURIComponent(topic.slug)}/${topic.id}` : null,
        },
        now,
        otherChannels(config),
      );
      // The raiser learns by text that the topic went out, as a raise by text would tell them.
      if (!member.opted_out) {
        await enqueueSms(trx, [{ memberId: member.id, to: member.phone, body: replies.alertSent(alert.number, recipientCount, alert.exercise), kind: 'reply', alertNumber: alert.number }], now);
      }
      return { outcome: 'raised', alert: alert.number, recipients: recipientCount, exercise: alert.exercise };
    });
  } catch (err) {
    // A concurrent delivery of the same webhook committed first.
    if (isTopicTaken(err)) {
      const n = await alertForTopic(db, topic.id);
      if (n !== null) return { outcome: 'duplicate', alert: n };
    }
    throw err;
  }
}
