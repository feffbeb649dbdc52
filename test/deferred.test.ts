// DEFERRED statements (src/db/connect.ts): held on their connection and sent with the next
// statement in one round trip, in order, values bound (never spliced into the SQL); dropped by a
// ROLLBACK; never carried to the connection's next user.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { connect, DEFERRED, PREPARED } from '../src/db/connect.js';

async function setup(t: Test) {
  const { url } = await freshDatabase(t);
  let roundTrips = 0;
  const db = connect(url, 1, {
    onConnect: (client) => (client as unknown as { connection: { on(e: string, f: () => void): void } }).connection.on('readyForQuery', () => roundTrips++),
  });
  t.teardown(() => db.destroy());
  await sql`CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`.execute(db);
  return { db, trips: () => roundTrips, reset: () => (roundTrips = 0) };
}

t.test('deferred statements go with the next one: one round trip, in order, the last one\'s result', async (t) => {
  const { db, trips, reset } = await setup(t);
  await db.connection().execute(async (c) => {
    await sql`SELECT 1`.execute(c); // connected
    reset();
    const begin = await sql.raw(`${DEFERRED} BEGIN`).execute(c);
    const ins = await sql`${sql.raw(DEFERRED)} INSERT INTO notes (body) VALUES (${'first'})`.execute(c);
    t.same([begin.rows, ins.rows], [[], []], 'a deferred statement answers nothing');
    t.equal(trips(), 0, 'nothing sent yet');
    const seen = await sql<{ body: string }>`SELECT body FROM notes ORDER BY id`.execute(c);
    t.same(seen.rows, [{ body: 'first' }], 'the statement after sees what was deferred before it');
    t.equal(trips(), 1, 'BEGIN, the insert and the select: one round trip');
    await sql`${sql.raw(DEFERRED)} INSERT INTO notes (body) VALUES (${'second'})`.execute(c);
    await sql.raw('COMMIT').execute(c);
    t.equal(trips(), 2, 'the insert went with COMMIT');
  });
  t.same((await sql<{ body: string }>`SELECT body FROM notes ORDER BY id`.execute(db)).rows.map((r) => r.body), ['first', 'second']);
});

t.test('ROLLBACK drops what is waiting; a connection released with something waiting drops it too', async (t) => {
  const { db } = await setup(t);
  await db.connection().execute(async (c) => {
    await sql.raw(`${DEFERRED} BEGIN`).execute(c);
    await sql`INSERT INTO notes (body) VALUES (${'kept until rollback'})`.execute(c);
    await sql`${sql.raw(DEFERRED)} INSERT INTO notes (body) VALUES (${'never sent'})`.execute(c);
    await sql.raw('ROLLBACK').execute(c);
  });
  const logged: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => void logged.push(a.join(' '));
  try {
    await db.connection().execute(async (c) => {
      await sql`${sql.raw(DEFERRED)} INSERT INTO notes (body) VALUES (${'left waiting'})`.execute(c);
    });
  } finally {
    console.error = error;
  }
  t.match(logged.join('\n'), /1 deferred statement\(s\) dropped at release/, 'said loudly');
  await sql`INSERT INTO notes (body) VALUES (${'next user'})`.execute(db);
  t.same((await sql<{ body: string }>`SELECT body FROM notes ORDER BY id`.execute(db)).rows.map((r) => r.body), ['next user'], 'nothing waiting reached the next user');
});

t.test('a prepared deferred statement: parsed on its own the first time, then batched', async (t) => {
  const { db, trips, reset } = await setup(t);
  for (const [round, expected] of [[1, 3], [2, 1]] as const) {
    await db.connection().execute(async (c) => {
      await sql`SELECT 1`.execute(c);
      reset();
      await sql.raw(`${DEFERRED} BEGIN`).execute(c);
      await sql`${sql.raw(DEFERRED)} ${sql.raw(PREPARED)} INSERT INTO notes (body) VALUES (${`round ${round}`})`.execute(c);
      await sql.raw('COMMIT').execute(c);
      t.equal(trips(), expected, `round ${round}: ${expected} round trip(s)`);
    });
  }
  t.equal((await sql<{ n: number }>`SELECT count(*)::int AS n FROM notes`.execute(db)).rows[0]!.n, 2);
});

t.test('property: any text through a deferred, batched statement is stored exactly (bound, not spliced)', async (t) => {
  const { db } = await setup(t);
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom("'); DROP TABLE notes; --", "\\'", "E'\\\\x00'", '$1', '$$', '/* deferred */', 'COMMIT; ROLLBACK'),
  ).map((s) => s.split(String.fromCharCode(0)).join('')); // PostgreSQL text cannot hold NUL, bound or not
  await fc.assert(
    fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 4 }), async (bodies) => {
      const ids = await db.connection().execute(async (c) => {
        await sql.raw(`${DEFERRED} BEGIN`).execute(c);
        for (const b of bodies.slice(0, -1)) await sql`${sql.raw(DEFERRED)} ${sql.raw(PREPARED)} INSERT INTO notes (body) VALUES (${b})`.execute(c);
        const r = await sql<{ id: number }>`INSERT INTO notes (body) VALUES (${bodies.at(-1)!}) RETURNING id`.execute(c);
        await sql.raw('COMMIT').execute(c);
        return r.rows[0]!.id;
      });
      const stored = await sql<{ body: string }>`SELECT body FROM notes WHERE id > ${ids - bodies.length} AND id <= ${ids} ORDER BY id`.execute(db);
      t.same(stored.rows.map((r) => r.body), bodies);
    }),
    { numRuns: 60 },
  );
  t.equal((await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'notes'`.execute(db)).rows[0]!.n, 1, 'the table is still there');
});
