// Start-up on the embedded default, as `npm start` runs it (scripts/start.mjs: the compiled service, no DATABASE_URL):
// a first start creates DATA_DIR (initdb, migrations, demo members); the second start finds it and
// should be ready (GET /readyz 200) in under 2 s. Timed from spawn to the first 200, polled every 10 ms.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './helpers.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MS = 2000;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function start(dataDir: string, port: number): Promise<{ child: ChildProcess; readyMs: number; listeningMs: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.ADMIN_TOKEN;
  const t0 = performance.now();
  // What `npm start` runs: scripts/start.mjs (builds dist/ when the sources changed, then runs it).
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let listeningMs = NaN;
  child.stdout.on('data', (d: Buffer) => {
    if (Number.isNaN(listeningMs) && /listening on/.test(d.toString())) listeningMs = performance.now() - t0;
  });
  const until = t0 + 120_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return { child, readyMs: performance.now() - t0, listeningMs };
    if (performance.now() > until || child.exitCode !== null) throw new Error('service did not become ready');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-startup-'));
// Run as root, the embedded PostgreSQL runs as user postgres and must reach DATA_DIR: a mkdtemp
// directory is mode 700, and Batsignal never changes the permissions of a directory it did not create.
chmodSync(dataDir, 0o755);
try {
  const port = await freePort();
  const first = await start(dataDir, port);
  console.log(`first start (empty DATA_DIR: initdb, migrations, demo members; and a build if the sources changed): ${fmt(first.readyMs, 0)} ms to /readyz`);
  await stop(first.child);
  const seconds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const again = await start(dataDir, port);
    seconds.push(again.readyMs);
    console.log(`second start #${i + 1} (DATA_DIR present): ${fmt(again.readyMs, 0)} ms to /readyz (listening line at ${fmt(again.listeningMs, 0)} ms)`);
    await stop(again.child);
  }
  const median = [...seconds].sort((a, b) => a - b)[1]!;
  console.log(`second start ready median: ${fmt(median, 0)} ms (target < ${fmt(TARGET_MS)} ms, ratio ${fmt(median / TARGET_MS, 2)} of the budget)`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
