// The other channels of an alert (forum, email), queued in the alert's own transaction: they exist
// exactly when the alert does. Each channel has its own dispatcher loop, so a forum or mail server
// that is slow or down never holds up the texts.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
import type { Alert } from '../db/schema.js';
import type { Config } from '../config.js';
import { PRIORITY_BROADCAST } from '../outbox/enqueue.js';
import { forumExternalId, installId } from './forum/external-id.js';
import { emailSubject } from './email/render.js';
import type { ChannelSender } from '../outbox/channel.js';
import type { BackoffPolicy } from '../outbox/backoff.js';
import { createForumSender } from './forum/sender.js';
import { createEmailSender, type EmailSender } from './email/sender.js';

/** Which other channels are configured; absent means off (createAlert's callers pass otherChannels(config)). */
export interface OtherChannels {
  discourse?: boolean;
  smtp?: boolean;
}

export function otherChannels(config: Pick<Config, 'discourse' | 'smtp'>): OtherChannels {
  return { discourse: config.discourse !== undefined, smtp: config.smtp !== undefined };
}

/** Payload of a 'forum' outbox row: the topic's external_id is fixed when the alert is created. */
export interface ForumPayload {
  externalId: string;
}

/** Payload of an 'email' outbox row. */
export interface EmailPayload {
  /** The member opted out of alert texts: the email says so and does not ask for an ACK by text. */
  smsOptedOut: boolean;
}

/**
 * One 'forum' row (unless the alert came from the forum: it already is a topic) and one 'email' row
 * per member with an address, the raiser excepted. Members who sent STOP still get the email:
 * STOP is the SMS opt-out; they remain members of the network (docs/channels.md).
 */
export async function enqueueOtherChannels(trx: Tx, alert: Alert, raiserId: number | null, channels: OtherChannels = {}): Promise<void> {
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
  if (channels.smtp) {
    // Set-based: the CONFIRM path stays one statement however many members there are.
    await sql`
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, payload, created_at, next_attempt_at)
      SELECT 'email', 'alert', ${PRIORITY_BROADCAST}, ${alert.number}, m.id, btrim(m.email), ${emailSubject(alert)},
             jsonb_build_object('smsOptedOut', m.opted_out), ${now}, ${now}
      FROM members m
      WHERE m.email IS NOT NULL AND btrim(m.email) <> '' AND m.id IS DISTINCT FROM ${raiserId}
        AND m.contact_role <> 'deputy' -- held back with their texts (src/alerts/escalation.ts)
      ORDER BY m.id`.execute(trx);
  }
}

/**
 * Retrying forum posts and emails. The texts' policy gives up after ~9 minutes, but in an incident
 * the forum or mail server may be down for hours: keep trying for about two days (5 s doubling to
 * 15 min between attempts, 200 attempts), then fail the row with its last error.
 */
export const OTHER_CHANNEL_BACKOFF: BackoffPolicy = { baseMs: 5_000, capMs: 900_000, jitter: 0.5, maxAttempts: 200 };

/**
 * Lease for a forum or email send: a forum attempt makes up to three requests of 10 s each, and an
 * SMTP send can take longer than a text. Past the lease another dispatcher takes the row back.
 */
export const OTHER_CHANNEL_LEASE_MS = 120_000;

/** The senders the dispatcher drives for the configured other channels (one loop each); close() on shutdown. */
export function otherChannelSenders(deps: { config: Config; db: Database }): { senders: ChannelSender[]; close(): void } {
  const { config, db } = deps;
  const senders: ChannelSender[] = [];
  let email: EmailSender | undefined;
  if (config.discourse) senders.push(createForumSender({ db, discourse: config.discourse, batsignalNumber: config.batsignalNumber }));
  if (config.smtp) senders.push((email = createEmailSender({ db, smtp: config.smtp, batsignalNumber: config.batsignalNumber })));
  return { senders, close: () => email?.close() };
}
