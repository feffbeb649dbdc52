// Counts are read, not kept: exact after many concurrent acknowledgements, never out of range while they land.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, bearer, markSent, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { alertCounts } from '../src/alerts/counts.js';

t.test('200 concurrent ACKs (each twice) give exact counts', async (t) => {
  const { db } = await freshDatabase(t, 30);
  const ids = await addMembers(db, memberSpecs(250));
  const n = await raiseAlert(db, new Date('2026-11-23T09:00:00Z'));
  await markSent(db, n, new Date('2026-11-23T09:01:00Z'), { receipt: 'delivered' });
  const app = await adminApp(db);
  t.teardown(() => app.close());

  const ackers = ids.slice(0, 200);
  const ack = (id: number, i: number) =>
    sql`UPDATE deliveries SET acked_at = coalesce(acked_at, ${new Date(Date.UTC(2026, 10, 23, 9, 2, 0, i))})
        WHERE alert_number = ${n} AND member_id = ${id}`.execute(db);
  const seen: number[] = [];
  const reads = async () => {
    for (let i = 0; i < 10; i++) {
      const res = await app.inject({ url: `/api/alerts/${n}`, headers: bearer });
      const c = res.json().counts;
      seen.push(c.acknowledged);
      t.equal(c.acknowledged + c.unacknowledged, 250, 'acknowledged + unacknowledged = recipients at every read');
    }
  };
  await Promise.all([...ackers.map(ack), ...ackers.map(ack), reads()]);

  const c = await alertCounts(db, n);
  t.equal(c?.recipients, 250);
  t.equal(c?.acknowledged, 200);
  t.equal(c?.delivered, 250);
  t.ok(seen.every((v) => v >= 0 && v <= 200), 'reads in flight stay in range');
  const api = (await app.inject({ url: `/api/alerts/${n}`, headers: bearer })).json();
  t.equal(api.counts.acknowledged, 200);
  t.equal(api.counts.unacknowledged, 50);
  const list = (await app.inject({ url: '/api/alerts', headers: bearer })).json();
  t.equal(list.alerts[0].counts.acknowledged, 200, 'the list agrees');
  const unacked = (await app.inject({ url: `/api/alerts/${n}/recipients`, headers: bearer })).json();
  t.equal(unacked.count, 50, 'the recipient list agrees with the count');
  t.same(unacked.recipients.map((r: { memberId: number }) => r.memberId).sort((a: number, b: number) => a - b), ids.slice(200));
});
