// The test command. With no DATABASE_URL it starts an embedded PostgreSQL (so a fresh machine needs
// nothing installed); either way it migrates one template database, then runs tap. Each test file
// clones the template into a database of its own (test/helpers/db.ts), so files run in parallel.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connect } from '../src/db/connect.js';
import { startEmbedded } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrate.js';

const TEMPLATE = 'batsignal_test_template';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

async function main(): Promise<number> {
  const given = process.env.DATABASE_URL;
  const embedded = given ? undefined : await startEmbedded(path.join(os.tmpdir(), `batsignal-test-pg`), (m) => console.error(m));
  const adminUrl = given ?? embedded!.url;
  try {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    // Drop databases left by earlier runs (kept on failure for inspection until the next run).
    const old = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'bt\\_%' OR datname = $1`, [TEMPLATE]);
    for (const { datname } of old.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE}`);
    await admin.end();

    const db = connect(withDatabase(adminUrl, TEMPLATE), 1);
    await migrateToLatest(db);
    await db.destroy();

    console.log(`tests on ${given ? 'DATABASE_URL' : 'embedded PostgreSQL'}`);
    const args = process.argv.slice(2);
    const child = spawn('npx', ['tap', ...args], {
      stdio: 'inherit',
      env: { ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl, TEST_TEMPLATE_DATABASE: TEMPLATE },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('test setup failed:', err);
    process.exit(1);
  },
);
