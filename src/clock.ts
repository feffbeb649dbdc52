/** The time source. Passed in everywhere so tests control time instead of waiting for it. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export interface Repeating {
  /** No new run starts; resolves when the run in progress (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `run` now, then again `everyMs` after each run ends (never two at once, never stacked up).
 * `run` handles its own errors: the background sweepers log and go on.
 */
export function repeat(run: () => Promise<void>, everyMs: number): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const once = (): Promise<void> =>
    run().finally(() => {
      if (!stopped) timer = setTimeout(() => void (running = once()), everyMs).unref();
    });
  let running = once();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
