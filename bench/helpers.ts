// Shared by benchmarks: a fresh database (as tests get) and small statistics helpers.
import { spawnSync } from 'node:child_process';
import autocannon from 'autocannon';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** pgbench from PATH or the PostgreSQL installation, if any. */
export function findPgbench(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(root, v, 'bin', 'pgbench')).find((p) => existsSync(p));
}

/** Transactions/s of pgbench running `script` (pgbench syntax) for 10 s, or why it could not run. */
export function pgbenchTps(url: string, script: string, clients: number): number | string {
  const pgbench = findPgbench();
  if (!pgbench) return 'not found (install postgresql-client)';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-pgbench-'));
  const file = path.join(dir, 'script.sql');
  writeFileSync(file, script);
  try {
    const r = spawnSync(pgbench, ['-n', '-c', String(clients), '-j', '2', '-T', '10', '-f', file, url], { encoding: 'utf8' });
    const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1]);
    return r.status === 0 && Number.isFinite(tps) ? tps : `failed (${(r.stderr || r.stdout).trim().split('\n').pop()})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resident set size of a process now, and its peak so far (Linux /proc), in MB. */
export function rssOf(pid: number): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1]);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * autocannon (in this process; the server is another) with the run's duration measured from the
 * first request set up to the last response: autocannon's own `duration` counts whole 1 s ticks
 * (7,200 ACKs in 7.01 or 8.01 s: 1,027 or 899 req/s for one rate), too coarse for the ratios.
 */
export async function timedAutocannon(opts: autocannon.Options): Promise<{ result: autocannon.Result; seconds: number }> {
  let first = 0;
  let last = 0;
  const requests = (opts.requests ?? [{}]).map((r) => ({
    ...r,
    setupRequest: (req: autocannon.Request, ctx: object): autocannon.Request => {
      if (first === 0) first = performance.now();
      return typeof r.setupRequest === 'function' ? r.setupRequest(req, ctx) : req;
    },
    onResponse: (status: number, body: string, ctx: object, headers: autocannon.Request['headers']) => {
      last = performance.now();
      if (typeof r.onResponse === 'function') r.onResponse(status, body, ctx, headers);
    },
  }));
  const result = await autocannon({ ...opts, requests });
  return { result, seconds: (last - first) / 1000 };
}
