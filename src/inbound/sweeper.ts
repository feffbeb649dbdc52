// Interprets multipart texts whose missing parts never came (config.concatTimeoutSeconds after the
// first part). Also done opportunistically when the same sender texts again (pipeline.ts); this
// periodic pass covers a sender who goes quiet. Safe on several instances: each sender is handled
// under its advisory lock and a group is taken only while its rows are still 'part'.
import type { FastifyBaseLogger } from 'fastify';
import { maskPhone } from '../directory/phone.js';
import { sendersWithStaleGroups } from './concat.js';
import { flushSender, type PipelineDeps } from './pipeline.js';

/** One pass; returns how many multipart texts were interpreted. */
export async function sweepConcat(deps: PipelineDeps, now: Date, log?: FastifyBaseLogger): Promise<number> {
  const senders = await sendersWithStaleGroups(deps.db, deps.config.concatTimeoutSeconds, now);
  let total = 0;
  for (const msisdn of senders) {
    try {
      const n = await flushSender(deps, msisdn, now);
      if (n > 0) deps.touch?.();
      total += n;
      if (n) log?.info({ outcome: 'processed', from: maskPhone(msisdn), assembled: n, timedOut: true }, 'inbound sms');
    } catch (err) {
      // Rolled back: the parts stay 'part' and the next pass tries again.
      log?.error({ err, from: maskPhone(msisdn) }, 'interpreting a timed-out multipart text failed');
    }
  }
  return total;
}

/** Runs sweepConcat every few seconds until stopped. */
export function startConcatSweeper(
  deps: PipelineDeps,
  clock: () => Date,
  log: FastifyBaseLogger,
  // Half the timeout, between 1 and 5 s: a timed-out text waits at most that much longer.
  everyMs = Math.min(5000, Math.max(1000, (deps.config.concatTimeoutSeconds * 1000) / 2)),
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return; // a slow pass is not stacked on
    running = sweepConcat(deps, clock(), log)
      .then(() => undefined, (err) => log.error({ err }, 'concat sweeper'))
      .finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
