import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { migrator } from '../src/db/migrate.js';

t.test('migrations run down to empty and up again', async (t) => {
  const { db } = await freshDatabase(t);
  const m = migrator(db);
  const names = (await m.getMigrations()).map((x) => x.name);
  t.ok(names.length >= 1, 'has migrations');
  for (let i = 0; i < names.length; i++) t.error((await m.migrateDown()).error, 'down one');
  const tables = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'members'`.execute(db);
  t.equal(tables.rows[0]?.n, 0, 'members table gone after down');
  const up = await m.migrateToLatest();
  t.error(up.error);
  t.same(up.results?.map((r) => r.status), names.map(() => 'Success'));
  const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'members'`.execute(db);
  t.equal(after.rows[0]?.n, 1);
});
