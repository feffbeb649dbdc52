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

/** A secret kept in DATA_DIR/<name>: read when there, else generated now (`generated` says which). */
async function keptSecret(dataDir: string, name: string): Promise<{ value: string; generated: boolean; file: string }> {
  const file = path.join(dataDir, name);
  try {
    const value = (await fs.readFile(file, 'utf8')).trim();
    if (value !== '') return { value, generated: false, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(24).toString('base64url');
  await fs.mkdir(dataDir, { recursive: true });
  // wx: two processes starting together never overwrite each other's secret; the loser reads the winner's.
  try {
    await fs.writeFile(file, value + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return keptSecret(dataDir, name);
    throw err;
  }
  return { value, generated: true, file };
}

/**
 * ADMIN_TOKEN, or on the embedded defaults one generated once and kept in DATA_DIR. `generated` is
 * set only on the start that created it: the token is printed once, never again on later starts.
 */
export async function resolveAdminTokens(config: Config): Promise<{ tokens: string[]; generated?: string; file?: string }> {
  if (config.adminToken) {
    return { tokens: [config.adminToken, ...(config.adminTokenPrevious ? [config.adminTokenPrevious] : [])] };
  }
  const kept = await keptSecret(config.dataDir, 'admin-token');
  return { tokens: [kept.value], file: kept.file, ...(kept.generated ? { generated: kept.value } : {}) };
}

/** Where the phone simulator's webhook signing secret is kept (DATA_DIR). */
export const WEBHOOK_SECRET_FILE = 'webhook-secret';

/**
 * Webhooks are never open: with no VONAGE_SIGNATURE_SECRET (the default start, texts going to the
 * phone simulator) the Vonage webhooks verify signatures with a secret generated at the first start
 * and kept in DATA_DIR, and the simulator signs what it injects with it. Only VONAGE_ALLOW_UNSIGNED
 * (refused by the config unless HOST is loopback) leaves them unsigned. A DATA_DIR that cannot be
 * written gives a secret for this process only (the simulator posts in-process, so it still works).
 */
export async function withWebhookSecret(config: Config, log: (msg: string) => void): Promise<Config> {
  if (config.signatureSecrets.length > 0 || config.allowUnsigned) return config;
  let secret: string;
  try {
    secret = (await keptSecret(config.dataDir, WEBHOOK_SECRET_FILE)).value;
  } catch (err) {
    secret = randomBytes(24).toString('base64url');
    log(`Could not keep the webhook signing secret in ${path.join(config.dataDir, WEBHOOK_SECRET_FILE)} (${(err as Error).message}); using one for this process only.`);
  }
  return { ...config, signatureSecrets: [secret] };
}
