// Background work that runs beside the HTTP app: the outbox dispatcher and the sweepers.
// The one place that wires providers and channels into the dispatchers (the outbox imports none).
import type { AppDeps } from './deps.js';
import type { FastifyBaseLogger } from 'fastify';
import { startConcatSweeper } from './inbound/sweeper.js';
import { converse } from './conversation/handle.js';
import { startReminderSweeper } from './alerts/reminders.js';
import { startFanOutWorker } from './alerts/fanout.js';
import { startEscalationSweeper } from './alerts/escalation.js';
import { startAdvisorySweeper } from './advisories/sweep.js';
import { startOutbox, type ChannelPlan } from './outbox/run.js';
import { configuredProviders, pickSmsSender, smsChannel, startFailover } from './providers/failover.js';
import type { Sender } from './outbox/channel.js';
import type { BackoffPolicy } from './outbox/backoff.js';
import type { Config } from './config.js';
import type { Database } from './db/connect.js';
import { createForumSender } from './channels/forum/sender.js';
import { createEmailSender, type EmailSender } from './channels/email/sender.js';

export interface Workers {
  stop(): Promise<void>;
}

// The dispatcher and sweepers are registered by their features.
export function startWorkers(deps: AppDeps, log: FastifyBaseLogger): Workers {
  const running: Workers[] = [];
  // Multipart texts whose missing parts never came (src/inbound/sweeper.ts).
  running.push(startConcatSweeper({ config: deps.config, db: deps.db, converse, touch: () => deps.outboxSignal?.touch(), metrics: deps.metrics }, deps.clock, log));
  // Broadcasts larger than one batch are written after their alert commits (src/alerts/fanout.ts).
  running.push(startFanOutWorker(deps, log));
  // One reminder to each member who has not acknowledged an open alert (src/alerts/reminders.ts).
  running.push(startReminderSweeper(deps, log));
  // Deputies of organisations nobody has acknowledged for in time (src/alerts/escalation.ts).
  running.push(startEscalationSweeper(deps, log));
  // Advisory deadlines: reminder at half the window, escalation at the deadline (src/advisories/sweep.ts).
  running.push(startAdvisorySweeper({ db: deps.db, clock: deps.clock, email: deps.config.smtp !== undefined, outboxSignal: deps.outboxSignal }, log));
  // The outbox: one dispatcher loop per channel (src/outbox/dispatcher.ts). Add a channel with one line.
  // SMS_PROVIDERS configured: failover between them (src/providers/failover.ts); else the simulator or the log.
  // Vonage's SMS API alone keeps its single-provider path (rate on the 'sms' schedule, as before).
  const legacy = deps.config.smsProviders.length === 1 && deps.config.smsProviders[0] === 'vonage' && !deps.config.vonageMessages;
  const providers = deps.simulator || legacy ? [] : configuredProviders(deps.config);
  const failover = providers.length > 0 ? startFailover(deps.db, providers, { log, ...(deps.metrics ? { metrics: deps.metrics } : {}) }) : undefined;
  if (failover) running.push(failover);
  const sms = failover ?? smsChannel(pickSmsSender(deps, (facts, msg) => log.info(facts, msg)), deps.config.batsignalNumber);
  const metrics = deps.metrics ? { metrics: deps.metrics } : {};
  // Forum and email have loops of their own: a slow or dead forum or mail server never holds up texts.
  const others = otherChannelSenders(deps);
  const channels: ChannelPlan[] = [
    { sender: sms, ratePerSecond: deps.config.smsRatePerSecond, ...metrics },
    // Discourse admin keys allow 60 requests a minute site-wide; an alert is one topic.
    ...others.senders.map((sender) => ({
      sender,
      ...metrics,
      // Retried for about two days (an incident's forum or mail outage), with a lease longer than a send.
      backoff: OTHER_CHANNEL_BACKOFF,
      leaseMs: OTHER_CHANNEL_LEASE_MS,
      // Email (no rate limit) claims ahead of its 10 requests: a row whose attempt timed out is
      // claimed again when its backoff ends, not after every other row's first attempt.
      ...(sender.channel === 'forum' ? { ratePerSecond: 1, concurrency: 2 } : { concurrency: 10, claimAhead: true }),
    })),
  ];
  const outbox = startOutbox(deps.db, log, channels, deps.outboxSignal);
  // Mail connections close only after the email loop has finished its sends.
  running.push({ stop: async () => void (await outbox.stop(), others.close()) });
  return { stop: async () => void (await Promise.all(running.map((w) => w.stop()))) };
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
export function otherChannelSenders(deps: { config: Config; db: Database }): { senders: Sender[]; close(): void } {
  const { config, db } = deps;
  const senders: Sender[] = [];
  let email: EmailSender | undefined;
  if (config.discourse) senders.push(createForumSender({ db, discourse: config.discourse, batsignalNumber: config.batsignalNumber }));
  if (config.smtp) senders.push((email = createEmailSender({ db, smtp: config.smtp, batsignalNumber: config.batsignalNumber })));
  return { senders, close: () => email?.close() };
}
