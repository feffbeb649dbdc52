// Runs a command (tap for `npm test`, the benchmarks for `npm run bench`) beside a PostgreSQL.
// With no DATABASE_URL it starts an embedded PostgreSQL (so a fresh machine needs nothing
// installed); either way it migrates one template database. Each test file clones the template
// into a database of its own (test/helpers/db.ts), so files run in parallel.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connect } from '../src/db/connect.js';
import { startEmbedded } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrate.js';

// Per-run names: several runs (developers, CI) can share one PostgreSQL server.
const RUN = randomBytes(4).toString('hex');
const TEMPLATE = `bt_${RUN}_template`;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

async function main(): Promise<number> {
  const given = process.env.DATABASE_URL;
  const dir = given ? undefined : mkdtempSync(path.join(os.tmpdir(), 'batsignal-test-'));
  // mkdtemp makes it mode 700; run as root, the embedded PostgreSQL runs as user postgres and must
  // reach it. This script created it, so it opens it (Batsignal itself never changes the
  // permissions of a folder it did not create: src/db/embedded.ts).
  if (dir) chmodSync(dir, 0o755);
  const embedded = dir ? await startEmbedded(dir, (m) => console.error(m)) : undefined;
  const adminUrl = given ?? embedded!.url;
  try {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${TEMPLATE}`);
    await admin.end();

    const db = connect(withDatabase(adminUrl, TEMPLATE), 1);
    await migrateToLatest(db);
    await db.destroy();

    console.log(`running on ${given ? 'DATABASE_URL' : 'embedded PostgreSQL'}`);
    const [cmd, ...args] = process.argv.slice(2);
    if (!cmd) throw new Error('usage: with-db.ts COMMAND [ARGS...]');
    const child = spawn(cmd, args, {
      stdio: 'inherit',
      env: { ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl, TEST_TEMPLATE_DATABASE: TEMPLATE, TEST_RUN_ID: RUN },
    });
    const code = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    if (given) {
      // A failed file keeps its database for inspection; the template always goes.
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE}" WITH (FORCE)`);
      await admin.end();
    }
    return code;
  } finally {
    await embedded?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('test setup failed:', err);
    process.exit(1);
  },
);
