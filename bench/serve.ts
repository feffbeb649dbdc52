// The server side of the webhook benches, in its own process so that the load generator (autocannon,
// in the bench's process) never shares its event loop: the real app on a real socket with
// PostgreSQL, logging one line per webhook at info (to nowhere), as production does.
// Started by startBenchServer(); prints "port N" and stops when its stdin closes.
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { connect } from '../src/db/connect.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';

export const BENCH_SECRET = 'bench-signature-secret';
const POOL = 30; // the server's PostgreSQL pool, as in production

async function serve(url: string, env: Record<string, string>): Promise<void> {
  const db = connect(url, POOL);
  const config = loadConfig({ VONAGE_SIGNATURE_SECRET: BENCH_SECRET, VONAGE_SIGNATURE_METHOD: 'sha256', LOG_LEVEL: 'info', ...env });
  const devnull = new Writable({ write: (_c, _e, cb) => cb() });
  const app = await buildApp({ config, db, clock: systemClock, adminTokens: ['bench-admin-token-123456'] }, { level: 'info', stream: devnull });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`port ${(app.server.address() as { port: number }).port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void app.close().then(() => db.destroy()).then(() => process.exit(0)));
}

export interface BenchServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the app in a child process on `url` with these settings (as environment variables). */
export async function startBenchServer(url: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<BenchServer> {
  // BENCH_PROFILE=dir writes the server's CPU profile there (node --cpu-prof), for before/after.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...process.execArgv, ...profile, ...nodeArgs, fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_SERVER_DB: url, BENCH_SERVER_ENV: JSON.stringify(env) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { port, pid: child.pid!, stop: () => (child.stdin.end(), exited) };
}

if (process.env.BENCH_SERVER_DB && process.argv[1] === fileURLToPath(import.meta.url)) {
  await serve(process.env.BENCH_SERVER_DB, JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}') as Record<string, string>);
}
