// Shared by benchmarks: a fresh database (as tests get) and small statistics helpers.
import { freshDatabase } from '../test/helpers/db.js';

export async function benchDatabase(poolSize = 20) {
  const teardowns: (() => unknown)[] = [];
  const t = { teardown: (fn: () => unknown) => teardowns.push(fn) };
  const fresh = await freshDatabase(t, poolSize);
  return { ...fresh, close: async () => { for (const fn of teardowns.reverse()) await fn(); } };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (n: number, digits = 1) => n.toLocaleString('en-GB', { maximumFractionDigits: digits });
