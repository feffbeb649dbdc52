import t from 'tap';
import { sql } from 'kysely';
import { promises as fs } from 'node:fs';
import { freshDatabase } from './helpers/db.js';
import { migrator } from '../src/db/migrate.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';

t.test('migrations run down to empty and up again', async (t) => {
  const { db } = await freshDatabase(t);
  const m = migrator(db);
  const names = (await m.getMigrations()).map((x) => x.name);
  const files = (await fs.readdir(new URL('../migrations/', import.meta.url))).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
  t.same(names, files, 'every file in migrations/ is a migration, in file-name order, all applied');
  t.same((await m.getMigrations()).filter((x) => x.executedAt === undefined).map((x) => x.name), [], 'a fresh database is at the latest');
  for (let i = 0; i < names.length; i++) t.error((await m.migrateDown()).error, 'down one');
  const tables = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'members'`.execute(db);
  t.equal(tables.rows[0]?.n, 0, 'members table gone after down');
  const up = await m.migrateToLatest();
  t.error(up.error);
  t.same(up.results?.map((r) => r.status), names.map(() => 'Success'));
  const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'members'`.execute(db);
  t.equal(after.rows[0]?.n, 1);
});

t.test('deleting a member drops its deliveries and unlinks its outbox rows (trigger, not foreign keys)', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(3));
  await raiseAlert(db, new Date());
  const victim = await db.selectFrom('deliveries').select('member_id').orderBy('member_id').executeTakeFirstOrThrow();
  await db.deleteFrom('members').where('id', '=', victim.member_id).execute();
  const left = await db.selectFrom('deliveries').select('member_id').execute();
  t.notOk(left.some((d) => d.member_id === victim.member_id), 'its delivery is gone');
  t.equal(left.length, 2, 'the other two stay');
  const rows = await db.selectFrom('outbox').select(['member_id', 'recipient']).where('kind', '=', 'alert').execute();
  t.equal(rows.filter((r) => r.member_id === victim.member_id).length, 0, 'no outbox row points at it');
  t.equal(rows.filter((r) => r.member_id === null).length, 1, 'its outbox row is kept (history), unlinked');
});
