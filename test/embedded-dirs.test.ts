// The embedded PostgreSQL's data directory: as root (PostgreSQL then runs as user postgres), the
// folders on the way must be searchable by others. Folders Batsignal creates are made so; a folder
// it did not create is never changed: start-up stops with what to do instead. prepareDataDir takes
// "as root" as a parameter, so this runs the same as any user (it only reads and sets mode bits).
import t from 'tap';
import { chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataDirError, prepareDataDir } from '../src/db/embedded.js';

const mode = (p: string) => statSync(p).mode & 0o777;

t.test('a mode-700 folder it did not create is left as it is, and the error says what to do', async (t) => {
  const home = t.testdir({});
  chmodSync(home, 0o700);
  const dataDir = path.join(home, 'batsignal', 'data');
  const err = await prepareDataDir(dataDir, true).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof DataDirError, 'refused');
  t.match((err as Error).message, `${home} is not searchable by other users (mode 700)`);
  t.match((err as Error).message, /does not change the permissions of a directory it did not create/);
  t.match((err as Error).message, /run Batsignal as an ordinary user.*set DATA_DIR to a directory others can reach.*chmod o\+x .*DATABASE_URL/);
  t.equal(mode(home), 0o700, 'the folder it did not create is unchanged');
});

t.test('an existing data directory of mode 700 is not changed either', async (t) => {
  const dataDir = t.testdir({});
  chmodSync(path.dirname(dataDir), mode(path.dirname(dataDir)) | 0o005);
  chmodSync(dataDir, 0o700);
  await t.rejects(prepareDataDir(dataDir, true), DataDirError);
  t.equal(mode(dataDir), 0o700);
});

t.test('folders it creates are made reachable; reachable ones are left alone', async (t) => {
  const parent = t.testdir({});
  chmodSync(parent, 0o755);
  const old = process.umask(0o077); // folders it creates come out mode 700
  try {
    const logs: string[] = [];
    await prepareDataDir(path.join(parent, 'a', 'b'), true, (m) => logs.push(m));
    t.equal(mode(path.join(parent, 'a')) & 0o005, 0o005, 'created: readable and searchable');
    t.equal(mode(path.join(parent, 'a', 'b')) & 0o005, 0o005);
    t.equal(logs.length, 2, 'each change said');
  } finally {
    process.umask(old);
  }
  t.equal(mode(parent), 0o755, 'the parent it did not create is untouched');
});

t.test('not as root: nothing is checked or changed', async (t) => {
  const home = t.testdir({});
  chmodSync(home, 0o700);
  await prepareDataDir(path.join(home, 'data'), false);
  t.equal(mode(home), 0o700);
});
