// Starts one dispatcher per channel, all woken by one LISTEN connection.
import type { Database } from '../db/connect.js';
import { connectionStringOf } from '../db/connect.js';
import type { Sender } from './channel.js';
import { startDispatcher, type Dispatcher, type DispatcherLog, type DispatcherOptions } from './dispatcher.js';
import { listenOutbox } from './wake.js';
import type { OutboxSignal } from './signal.js';

export interface ChannelPlan extends DispatcherOptions {
  sender: Sender;
}

export interface OutboxWorkers {
  dispatchers: Dispatcher[];
  stop(): Promise<void>;
}

export function startOutbox(db: Database, log: DispatcherLog, channels: readonly ChannelPlan[], signal?: OutboxSignal): OutboxWorkers {
  const wake = listenOutbox(connectionStringOf(db), (err) => log.warn({ err }, 'outbox LISTEN connection lost; polling until it is back'));
  const dispatchers = channels.map(({ sender, ...opts }) => startDispatcher(db, sender, log, opts));
  const unsubscribe = dispatchers.flatMap((d) => [wake.subscribe(() => d.wake()), ...(signal ? [signal.subscribe(() => d.wake())] : [])]);
  return {
    dispatchers,
    async stop() {
      unsubscribe.forEach((u) => u());
      await wake.close();
      await Promise.all(dispatchers.map((d) => d.stop()));
    },
  };
}
