// The service as an operator runs it: src/main.ts through tsx (`npm start` runs it compiled) on the embedded defaults (no DATABASE_URL),
// stopped with SIGTERM and started again: members are kept, /readyz answers, exit is clean. The CLI
// run beside it on the same DATA_DIR adopts the server's PostgreSQL cluster and leaves it running.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

function embeddedEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.ADMIN_TOKEN;
  return env;
}

async function start(dataDir: string, port: number): Promise<{ child: ChildProcess; exit: Promise<number | null>; out: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: embeddedEnv(dataDir, port), stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return { child, exit, out: () => out };
    if (Date.now() > until || child.exitCode !== null) throw new Error('service did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function cli(dataDir: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: embeddedEnv(dataDir, 0), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

// Two service starts, each with its own PostgreSQL cluster, and three CLI runs: on a busy 2-core CI machine
// this file can outlast the suite's 120 s per-file limit (.taprc).
t.setTimeout(300_000);

t.test('start on the embedded defaults, add a member, restart: the member is still there', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-server-'));
  // mkdtemp makes it mode 700; as root the embedded PostgreSQL runs as user postgres, and Batsignal never
  // changes a directory it did not create (test/embedded-dirs.test.ts): the operator opens it, as here.
  chmodSync(dataDir, 0o755);
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();

  const first = await start(dataDir, port);
  t.teardown(() => first.child.kill('SIGKILL'));
  const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  t.ok(token.length >= 16, 'an admin token was generated and kept in DATA_DIR');
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  t.equal((await fetch(`http://127.0.0.1:${port}/api/members`)).status, 401, 'never open without the token');
  const created = await fetch(`http://127.0.0.1:${port}/api/members`, {
    method: 'POST', headers: auth, body: JSON.stringify({ name: 'Kept Across Restarts', phone: '07400 123456', organisation: 'Northtown Trust' }),
  });
  t.equal(created.status, 201, 'member created');
  t.match(first.out(), /Added 6 demo members .*npm run members -- import/, 'the demo members are announced with how to load real ones');
  t.match(first.out(), `Admin token (kept in ${dataDir}/admin-token): ${token}`);

  // The CLI on the same DATA_DIR while the server runs: it reuses the server's cluster...
  const added = await cli(dataDir, 'members', 'add', '--name', 'Added By CLI', '--phone', '07400 123457');
  t.equal(added.code, 0, 'CLI members add beside the server', { stderr: added.err });
  t.match(added.err, /already running on port \d+; reusing it/);
  const listed = await cli(dataDir, 'members', 'list', '--json');
  t.equal(listed.code, 0, 'CLI members list beside the server', { stderr: listed.err });
  t.same(
    (JSON.parse(listed.out) as { name: string }[]).map((m) => m.name).filter((n) => !n.startsWith('Demo - ')),
    ['Added By CLI', 'Kept Across Restarts'],
  );
  // ...and leaves it running: the server still reaches its database and sees the CLI's member.
  t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, 'the server database survived the CLI');
  const seen = (await (await fetch(`http://127.0.0.1:${port}/api/members?search=Added%20By%20CLI`, { headers: auth })).json()) as { total: number };
  t.equal(seen.total, 1);

  first.child.kill('SIGTERM');
  t.equal(await first.exit, 0, 'SIGTERM: a clean exit');
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'the embedded PostgreSQL stopped with it');

  // The CLI with no server running starts the cluster itself and stops it again on the way out.
  const alone = await cli(dataDir, 'members', 'list', '--json');
  t.equal(alone.code, 0, 'CLI members list with the server stopped', { stderr: alone.err });
  t.notMatch(alone.err, /reusing it/);
  t.equal((JSON.parse(alone.out) as unknown[]).length, 8, 'six demo members and the two added');
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'the CLI stopped the cluster it started');

  const second = await start(dataDir, port);
  t.teardown(() => second.child.kill('SIGKILL'));
  const list = (await (await fetch(`http://127.0.0.1:${port}/api/members?search=Kept`, { headers: auth })).json()) as { members: { phone: string }[] };
  t.same(list.members.map((m) => m.phone), ['+447400123456'], 'the member survived the restart');
  t.notMatch(second.out(), /demo members/, 'demo members are offered on the first start only');
  t.notMatch(second.out(), token, 'the admin token is printed on the start that generated it only');
  t.match(second.out(), `sign in with the admin token kept in ${path.join(dataDir, 'admin-token')}`, 'later starts say where it is kept');
  const forged = await fetch(`http://127.0.0.1:${port}/webhooks/vonage/status?messageId=FORGED0001&status=delivered&client-ref=1`);
  t.equal(forged.status, 401, 'the default start refuses a forged unsigned receipt');
  second.child.kill('SIGTERM');
  t.equal(await second.exit, 0, 'clean exit again');
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')));
});
