// When a failed attempt is tried again: exponential, capped, with jitter so a throttled burst of
// thousands does not come back as one burst. Pure; the randomness is an argument.

export interface BackoffPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** No wait grows beyond this (before jitter). */
  capMs: number;
  /** Up to this fraction of the delay is added at random. */
  jitter: number;
  /** Attempts after which a retryable failure becomes permanent. */
  maxAttempts: number;
}

// 1 s, 2 s, 4 s ... 5 min: 10 attempts span about 9 minutes before a text is given up.
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 300_000, jitter: 0.5, maxAttempts: 10 };

/** Delay before attempt `attempts + 1`, given `attempts` made (>= 1): base * 2^(attempts-1), capped, plus jitter. */
export function backoffMs(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(policy.baseMs * 2 ** Math.max(0, attempts - 1), policy.capMs);
  return Math.round(exp + exp * policy.jitter * random());
}

/** The wait for a retry: the backoff, or longer if the provider asked for longer (Retry-After). */
export function retryDelayMs(attempts: number, retryAfterMs: number | undefined, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  return Math.max(retryAfterMs ?? 0, backoffMs(attempts, policy, random));
}
