// Secure by default, as an operator starts the real server (src/main.ts in a child process):
// with no Vonage settings the webhooks still verify signatures (a secret kept in DATA_DIR that the
// phone simulator signs with), a forged unsigned text or receipt gets 401, a production database
// without an SMS provider says loudly that no real texts are sent, and VONAGE_ALLOW_UNSIGNED is
// refused unless HOST is loopback (and shouts when it is on).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freshDatabase } from './helpers/db.js';
import { spawnServer } from './helpers/server-process.js';

t.setTimeout(180_000);
const ADMIN_TOKEN = 'startup-secure-admin-token-0123';

/** The start-up lines come just after the listening line (some on stderr): wait for the last one. */
async function printed(s: { output(): string }, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 200 && !pattern.test(s.output()); i++) await new Promise((r) => setTimeout(r, 50));
  return s.output();
}

function start(env: Record<string, string>) {
  const s = spawnServer({ ADMIN_TOKEN, PORT: '0', HOST: '127.0.0.1', ...env });
  t.teardown(async () => {
    s.kill('SIGKILL');
    await s.exited;
  });
  return s;
}

t.test('production database, no Vonage: simulator on and said so; forged unsigned webhooks get 401', async (t) => {
  const { db, url } = await freshDatabase(t);
  const dataDir = t.testdir({});
  const s = start({ DATABASE_URL: url, DATA_DIR: dataDir });
  await s.ready;
  t.match(await printed(s, /NO REAL TEXTS/), /WARNING: DATABASE_URL is set but no SMS provider is configured.*the phone simulator is on and NO REAL TEXTS ARE SENT/);
  t.ok(existsSync(path.join(dataDir, 'webhook-secret')), 'the webhook signing secret is kept in DATA_DIR');
  t.notMatch(s.output(), new RegExp(readFileSync(path.join(dataDir, 'webhook-secret'), 'utf8').trim()), 'and never printed');

  const base = `http://127.0.0.1:${s.port}`;
  const inbound = await fetch(`${base}/webhooks/vonage/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ msisdn: '447700900001', to: '447700900000', messageId: 'FORGED0001', text: 'RAISE', type: 'text' }).toString(),
  });
  t.equal(inbound.status, 401, 'a forged unsigned inbound text');
  t.equal(((await inbound.json()) as { error: string }).error, 'invalid_signature');
  const receipt = await fetch(`${base}/webhooks/vonage/status?messageId=FORGED0002&status=delivered&client-ref=1`);
  t.equal(receipt.status, 401, 'a forged unsigned receipt (GET)');
  t.equal((await db.selectFrom('inbound_messages').select('message_id').execute()).length, 0, 'nothing stored');
});

t.test('VONAGE_ALLOW_UNSIGNED: refused on a non-loopback HOST, loud on loopback', async (t) => {
  const refused = spawnServer({ ADMIN_TOKEN, PORT: '0', HOST: '0.0.0.0', VONAGE_ALLOW_UNSIGNED: 'true', DATA_DIR: t.testdir({}) });
  refused.ready.catch(() => {}); // it never listens
  t.equal(await refused.exited, 2, 'start-up stops with the configuration exit code');
  t.match(refused.output(), /Configuration error: VONAGE_ALLOW_UNSIGNED: is refused with HOST=0\.0\.0\.0/);

  const { url } = await freshDatabase(t);
  const s = start({ DATABASE_URL: url, DATA_DIR: t.testdir({}), VONAGE_ALLOW_UNSIGNED: 'true' });
  await s.ready;
  t.match(await printed(s, /UNSIGNED/), /WARNING: VONAGE_ALLOW_UNSIGNED=true: the Vonage webhooks accept UNSIGNED requests/);
});
