// Turns a Config into running parts: the database (embedded when no DATABASE_URL), migrated,
// and the admin token. Shared by the server and the CLI.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';
import { connect, type Database } from './db/connect.js';
import { startEmbedded } from './db/embedded.js';
import { migrateToLatest } from './db/migrate.js';

export interface Runtime {
  db: Database;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, log: (msg: string) => void): Promise<Runtime> {
  const embedded = config.databaseUrl ? undefined : await startEmbedded(path.join(config.dataDir), log);
  const db = connect(config.databaseUrl ?? embedded!.url, 20);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    await embedded?.stop();
    throw err;
  }
  return {
    db,
    embedded: embedded !== undefined,
    close: async () => {
      await db.destroy();
      await embedded?.stop();
    },
  };
}

/** ADMIN_TOKEN, or on the embedded defaults one generated once and kept in DATA_DIR. */
export async function resolveAdminTokens(config: Config): Promise<{ tokens: string[]; generated?: string }> {
  if (config.adminToken) {
    return { tokens: [config.adminToken, ...(config.adminTokenPrevious ? [config.adminTokenPrevious] : [])] };
  }
  const file = path.join(config.dataDir, 'admin-token');
  let token: string;
  try {
    token = (await fs.readFile(file, 'utf8')).trim();
  } catch {
    token = randomBytes(24).toString('base64url');
    await fs.mkdir(config.dataDir, { recursive: true });
    await fs.writeFile(file, token + '\n', { mode: 0o600 });
  }
  return { tokens: [token], generated: token };
}
