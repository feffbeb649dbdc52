// The service as an operator runs it: src/main.ts through tsx (what `npm start` runs) on the embedded defaults (no DATABASE_URL),
// stopped with SIGTERM and started again: members are kept, /readyz answers, exit is clean.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

async function start(dataDir: string, port: number): Promise<{ child: ChildProcess; exit: Promise<number | null> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.ADMIN_TOKEN;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: 'ignore' });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return { child, exit };
    if (Date.now() > until || child.exitCode !== null) throw new Error('service did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('start on the embedded defaults, add a member, restart: the member is still there', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-server-'));
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
  first.child.kill('SIGTERM');
  t.equal(await first.exit, 0, 'SIGTERM: a clean exit');

  const second = await start(dataDir, port);
  t.teardown(() => second.child.kill('SIGKILL'));
  const list = (await (await fetch(`http://127.0.0.1:${port}/api/members?search=Kept`, { headers: auth })).json()) as { members: { phone: string }[] };
  t.same(list.members.map((m) => m.phone), ['+447400123456'], 'the member survived the restart');
  second.child.kill('SIGTERM');
  t.equal(await second.exit, 0, 'clean exit again');
});
