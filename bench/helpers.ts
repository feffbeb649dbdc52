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
  const r = pgbenchRun(url, script, clients);
  return typeof r === 'string' ? r : r.tps;
}

/** pgbench's transactions/s and transactions processed (10 s of `script`), or why it could not run. */
export function pgbenchRun(url: string, script: string, clients: number): { tps: number; transactions: number } | string {
  const pgbench = findPgbench();
  if (!pgbench) return 'not found (install postgresql-client)';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-pgbench-'));
  const file = path.join(dir, 'script.sql');
  writeFileSync(file, script);
  try {
    const r = spawnSync(pgbench, ['-n', '-c', String(clients), '-j', '2', '-T', '10', '-f', file, url], { encoding: 'utf8' });
    const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1]);
    const transactions = Number(/number of transactions actually processed: (\d+)/.exec(r.stdout)?.[1]);
    return r.status === 0 && Number.isFinite(tps) ? { tps, transactions } : `failed (${(r.stderr || r.stdout).trim().split('\n').pop()})`;
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

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime, stime, cutime, cstime of a process in seconds (Linux /proc), or undefined if it is gone. */
function statTimes(pid: number | string): { own: number; children: number; comm: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    const n = (field: number) => Number(f[field - 3]);
    return { own: (n(14) + n(15)) / TICKS_PER_SECOND, children: (n(16) + n(17)) / TICKS_PER_SECOND, comm, ppid: n(4) };
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  /** The server process (bench/serve.ts). */
  server: number;
  /** Every PostgreSQL process, with the backends that have exited (their postmaster's children time). */
  postgres: number;
  /** This process (the load generator: autocannon runs here). */
  self: number;
  /** This process's exited children (pgbench, run with spawnSync). */
  children: number;
}

/** CPU seconds used so far by the server, PostgreSQL, this process and its exited children. */
export function cpuSnapshot(serverPid?: number): CpuSnapshot {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((pid) => ({ pid: Number(pid), t: statTimes(pid) }));
  const pg = procs.filter((p) => p.t?.comm === 'postgres');
  const pgPids = new Set(pg.map((p) => p.pid));
  // A postmaster is a postgres process whose parent is not one; it reaps its backends.
  const postgres = pg.reduce((s, p) => s + p.t!.own + (pgPids.has(p.t!.ppid) ? 0 : p.t!.children), 0);
  const me = statTimes('self')!;
  return { server: serverPid === undefined ? 0 : (statTimes(serverPid)?.own ?? 0), postgres, self: me.own, children: me.children };
}

/** CPU milliseconds per operation between two snapshots. */
export function cpuPer(before: CpuSnapshot, after: CpuSnapshot, operations: number): CpuSnapshot {
  const per = (k: keyof CpuSnapshot) => ((after[k] - before[k]) * 1000) / operations;
  return { server: per('server'), postgres: per('postgres'), self: per('self'), children: per('children') };
}
