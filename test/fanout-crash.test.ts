// kill -9 of the real server (src/main.ts) in the middle of a broadcast's fan-out, then a fresh
// server: every audience member ends with exactly one text, one email and one delivery of the alert. The
// alert commits with its first 1,000 recipients; the server's fan-out worker writes the rest in
// batches of 5,000 (src/alerts/fanout.ts), each with its emails and the cursor in its own transaction.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { spawnServer } from './helpers/server-process.js';
import type { Database } from '../src/db/connect.js';

t.setTimeout(600_000);
const MEMBERS = 60_000;

async function cursor(db: Database, n: number): Promise<number | null> {
  return (await db.selectFrom('alerts').select('fanout_after').where('number', '=', n).executeTakeFirstOrThrow()).fanout_after;
}

/** Per channel: rows of the alert, distinct members, members with more than one, rows beyond the cursor. */
async function perMember(db: Database, n: number) {
  const of = async (channel: 'sms' | 'email') => {
    const r = await sql<{ rows: number; members: number; doubled: number; beyond: number }>`
      SELECT
        (SELECT count(*)::int FROM outbox WHERE alert_number = ${n} AND kind = 'alert' AND channel = ${channel}) AS rows,
        (SELECT count(DISTINCT member_id)::int FROM outbox WHERE alert_number = ${n} AND kind = 'alert' AND channel = ${channel}) AS members,
        (SELECT count(*)::int FROM (SELECT member_id FROM outbox WHERE alert_number = ${n} AND kind = 'alert' AND channel = ${channel} GROUP BY member_id HAVING count(*) > 1) x) AS doubled,
        (SELECT count(*)::int FROM outbox o JOIN alerts a ON a.number = o.alert_number
          WHERE o.alert_number = ${n} AND o.kind = 'alert' AND o.channel = ${channel} AND a.fanout_after IS NOT NULL AND o.member_id > a.fanout_after) AS beyond`.execute(db);
    return r.rows[0]!;
  };
  const deliveries = await sql<{ n: number }>`SELECT count(*)::int AS n FROM deliveries WHERE alert_number = ${n}`.execute(db);
  return { texts: await of('sms'), emails: await of('email'), deliveries: deliveries.rows[0]!.n };
}

t.test('kill -9 mid fan-out, restart: every member written exactly once, text and email', async (t) => {
  const { db, url } = await freshDatabase(t);
  const ids = await addMembers(db, memberSpecs(MEMBERS));
  // Every member has an address and the alert is emailed: the emails follow the texts' batches.
  await sql`UPDATE members SET email = 'member' || id || '@nhs.example'`.execute(db);
  // No provider: the log sender, at 1 text a second, so the fan-out is all the server does.
  const env = { DATABASE_URL: url, ADMIN_TOKEN: 'fanout-crash-admin-token-0123456789', PORT: '0', BATSIGNAL_NUMBER: '447700900999', SMS_RATE_PER_SECOND: '1', DATA_DIR: t.testdirName };
  const first = spawnServer(env);
  t.teardown(() => first.kill('SIGKILL'));
  await first.ready;

  const n = await raiseAlert(db, new Date(), {}, { fanOut: false, channels: { smtp: true } });
  t.equal(await cursor(db, n), ids[999], 'committed with the first 1,000 and a cursor');
  // Kill as soon as the worker has committed a batch or two of its own.
  for (;;) {
    const c = await cursor(db, n);
    if (c === null || c >= ids[999 + 5000]!) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  first.kill('SIGKILL');
  await first.exited;
  const atKill = await cursor(db, n);
  t.not(atKill, null, `killed mid fan-out (cursor at member ${atKill} of ${ids.at(-1)})`);
  const mid = await perMember(db, n);
  const upToCursor = ids.filter((id) => id <= atKill!).length;
  for (const [channel, c] of [['texts', mid.texts], ['emails', mid.emails]] as const) {
    t.equal(c.doubled, 0, `${channel}: nobody doubled at the kill`);
    t.equal(c.beyond, 0, `${channel}: nobody beyond the cursor: each batch committed whole with it`);
    t.same([c.rows, c.members], [upToCursor, upToCursor], `${channel}: everyone up to the cursor (${upToCursor})`);
  }
  t.equal(mid.deliveries, mid.texts.rows, `a delivery for each text written (${mid.texts.rows})`);

  const second = spawnServer(env);
  t.teardown(() => second.kill('SIGKILL'));
  await second.ready;
  const until = Date.now() + 120_000;
  while ((await cursor(db, n)) !== null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.equal(await cursor(db, n), null, 'the new server finished the fan-out');
  const once = { rows: MEMBERS, members: MEMBERS, doubled: 0, beyond: 0 };
  t.same(await perMember(db, n), { texts: once, emails: once, deliveries: MEMBERS }, 'every member exactly once, by text and by email');
  const flag = await db.selectFrom('alerts').select('email_fanout').where('number', '=', n).executeTakeFirstOrThrow();
  t.equal(flag.email_fanout, false, 'no emails owed');
  const a = await db.selectFrom('alerts').select('recipient_count').where('number', '=', n).executeTakeFirstOrThrow();
  t.equal(a.recipient_count, MEMBERS);
  second.kill('SIGTERM');
  await second.exited;
});
