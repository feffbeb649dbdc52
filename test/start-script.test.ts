// `npm start` (scripts/start.mjs) as the README's first command runs it: it builds dist/ when the
// sources are newer than the last build, runs the compiled service, which migrates the database
// and answers /readyz, and stops cleanly on SIGTERM.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { freshDatabase } from './helpers/db.js';

t.setTimeout(300_000); // a build (tsc) on a busy 2-core machine, then the start

t.test('npm start: builds when needed, runs the compiled service, stops cleanly', async (t) => {
  const { url } = await freshDatabase(t);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, DATABASE_URL: url, ADMIN_TOKEN: 'start-script-admin-token-0123', PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = Date.now() + 280_000;
  let ready = false;
  while (!ready && Date.now() < until && child.exitCode === null) {
    ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
  t.ok(ready, `/readyz 200 (output: ${out.slice(-400)})`);
  t.match(out, /Batsignal listening on http:\/\/127\.0\.0\.1:\d+/, 'the service says where it listens');
  t.ok(existsSync('dist/src/main.js') && existsSync('dist/.built-from-sources'), 'the compiled service and its build stamp are there');
  t.ok(statSync('dist/.built-from-sources').mtimeMs >= statSync('src/main.ts').mtimeMs, 'built from sources no newer than the build');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: a clean exit');
});
