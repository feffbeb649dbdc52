// Background work that runs beside the HTTP app: the outbox dispatcher and the sweepers.
import type { AppDeps } from './app.js';
import type { FastifyBaseLogger } from 'fastify';
import { startConcatSweeper } from './inbound/sweeper.js';
import { converse } from './conversation/handle.js';
import { startReminderSweeper } from './alerts/reminders.js';
import { startOutbox, type ChannelPlan } from './outbox/run.js';
import { pickSmsSender, smsChannel } from './channels/sms/channel.js';

export interface Workers {
  stop(): Promise<void>;
}

// The dispatcher and sweepers are registered by their features.
export function startWorkers(deps: AppDeps, log: FastifyBaseLogger): Workers {
  const running: Workers[] = [];
  // Multipart texts whose missing parts never came (src/inbound/sweeper.ts).
  running.push(startConcatSweeper({ config: deps.config, db: deps.db, converse, touch: () => deps.outboxSignal?.touch(), metrics: deps.metrics }, deps.clock, log));
  // One reminder to each member who has not acknowledged an open alert (src/alerts/reminders.ts).
  running.push(startReminderSweeper(deps, log));
  // The outbox: one dispatcher loop per channel (src/outbox/dispatcher.ts). Add a channel with one line.
  const sms = smsChannel(pickSmsSender(deps, (facts, msg) => log.info(facts, msg)), deps.config.batsignalNumber);
  const channels: ChannelPlan[] = [
    { sender: sms, ratePerSecond: deps.config.smsRatePerSecond, ...(deps.metrics ? { metrics: deps.metrics } : {}) },
  ];
  running.push(startOutbox(deps.db, log, channels, deps.outboxSignal));
  return { stop: async () => void (await Promise.all(running.map((w) => w.stop()))) };
}
