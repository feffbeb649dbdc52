// Each test file gets its own database cloned from the migrated template (see scripts/test.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect, type Database } from '../../src/db/connect.js';

interface Tap {
  teardown(fn: () => unknown): void;
  passing?(): boolean;
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with "npm test" (scripts/test.ts)`);
  return v;
}

export function databaseUrl(name: string): string {
  const u = new URL(env('TEST_ADMIN_DATABASE_URL'));
  u.pathname = '/' + name;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: env('TEST_ADMIN_DATABASE_URL') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, migrated database for this test file; dropped at teardown unless the file failed. */
export async function freshDatabase(t: Tap, poolSize = 10): Promise<{ db: Database; url: string; name: string }> {
  const name = `bt_${process.env.TEST_RUN_ID ?? 'x'}_${randomBytes(6).toString('hex')}`;
  const template = env('TEST_TEMPLATE_DATABASE');
  // CREATE DATABASE ... TEMPLATE fails if another session is cloning it at the same moment: retry.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      break;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  const url = databaseUrl(name);
  const db = connect(url, poolSize);
  t.teardown(async () => {
    await db.destroy();
    // Keep a failed file's data for inspection; the next run clears it.
    if (t.passing?.() === false) return;
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });
  return { db, url, name };
}
