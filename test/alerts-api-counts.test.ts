// Counts are read, not kept: exact after many concurrent acknowledgements sent as texts through the
// signed inbound webhook, and at every read in flight between two independent counts of the deliveries rows.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, bearer, markSent, memberSpecs, OUR_NUMBER, raiseAlert, SIGNATURE_SECRET, testPhone } from './helpers/alert-fixtures.js';
import { deliver, inboundParams } from './helpers/phone.js';
import { alertCounts } from '../src/alerts/counts.js';
import type { Database } from '../src/db/connect.js';

// Two minutes after the raise, now (to the minute): the signed webhooks' timestamps must be within the replay window.
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000);
const ACK_AT = new Date(T0.getTime() + 2 * 60_000);

/** Deliveries rows of this alert with and without an acknowledgement, counted in SQL (not by the API). */
async function ackedRows(db: Database, n: number): Promise<{ acked: number; unacked: number }> {
  const { rows } = await sql<{ acked: number; unacked: number }>`
    SELECT count(*) FILTER (WHERE acked_at IS NOT NULL)::int AS acked, count(*) FILTER (WHERE acked_at IS NULL)::int AS unacked
      FROM deliveries WHERE alert_number = ${n}`.execute(db);
  return rows[0]!;
}

t.test('200 members ACK by text at once (each twice): counts match the replies and the deliveries rows', async (t) => {
  const { db } = await freshDatabase(t, 30);
  const specs = memberSpecs(250);
  const ids = await addMembers(db, specs);
  const n = await raiseAlert(db, T0);
  await markSent(db, n, new Date(T0.getTime() + 60_000), { receipt: 'delivered' });
  const app = await adminApp(db, () => ACK_AT);
  t.teardown(() => app.close());

  const ackers = specs.slice(0, 200).map((_, i) => testPhone(i));
  // Each text is a distinct signed webhook (fresh messageId): two ACKs from the same phone race each other.
  const ack = async (phone: string) => {
    const res = await deliver(app, inboundParams(phone, `ACK ${n}`, { secret: SIGNATURE_SECRET, to: OUR_NUMBER }));
    return res.statusCode;
  };
  const inFlight: { before: number; api: number; after: number; unackBefore: number; apiUnack: number; unackAfter: number }[] = [];
  const read = async () => {
    const before = await ackedRows(db, n);
    const res = await app.inject({ url: `/api/alerts/${n}`, headers: bearer });
    const after = await ackedRows(db, n);
    const c = res.json().counts;
    inFlight.push({ before: before.acked, api: c.acknowledged, after: after.acked, unackBefore: before.unacked, apiUnack: c.unacknowledged, unackAfter: after.unacked });
  };
  // Ten waves of 20 ackers, each texting ACK twice at once; the API is read while each wave is in flight.
  const codes: number[] = [];
  for (let w = 0; w < 10; w++) {
    const wave = ackers.slice(w * 20, w * 20 + 20).flatMap((phone) => [ack(phone), ack(phone)]);
    await read();
    codes.push(...(await Promise.all(wave)));
  }
  t.equal(codes.length, 400);
  t.same(codes.filter((c) => c !== 200), [], 'every webhook answered 200');

  // Independent of the counts: the replies the conversation wrote, per phone.
  const replies = await db
    .selectFrom('outbox')
    .select(['recipient', 'body'])
    .where('channel', '=', 'sms')
    .where('kind', '=', 'reply')
    .execute();
  const recorded = new Set(replies.filter((r) => r.body.startsWith(`Acknowledged #${n}.`)).map((r) => r.recipient));
  const already = replies.filter((r) => r.body === `Your acknowledgement of #${n} was already recorded.`).map((r) => r.recipient);
  t.equal(replies.length, 400, 'one reply per text');
  t.same([...recorded].sort(), [...ackers].sort(), 'each acker was told once that the ACK was recorded');
  t.same([...already].sort(), [...ackers].sort(), '...and once that it already was');
  const ackedMembers = await db.selectFrom('deliveries').select('member_id').where('alert_number', '=', n).where('acked_at', 'is not', null).orderBy('member_id').execute();
  t.same(ackedMembers.map((r) => r.member_id), ids.slice(0, 200), 'exactly the ackers have acked_at');

  const c = await alertCounts(db, n);
  t.equal(c?.recipients, 250);
  t.equal(c?.acknowledged, recorded.size);
  t.equal(c?.delivered, 250);
  t.equal(inFlight.length, 10);
  for (const [i, r] of inFlight.entries()) {
    t.ok(r.before <= r.api && r.api <= r.after, `read ${i}: acknowledged ${r.api} between the rows counted before (${r.before}) and after (${r.after})`);
    t.ok(r.before >= 20 * i, `read ${i}: the earlier waves are all counted`);
    t.ok(r.unackBefore >= r.apiUnack && r.apiUnack >= r.unackAfter, `read ${i}: unacknowledged ${r.apiUnack} between ${r.unackBefore} and ${r.unackAfter}`);
  }
  const api = (await app.inject({ url: `/api/alerts/${n}`, headers: bearer })).json();
  t.equal(api.counts.acknowledged, recorded.size);
  t.equal(api.counts.unacknowledged, 250 - recorded.size);
  const list = (await app.inject({ url: '/api/alerts', headers: bearer })).json();
  t.equal(list.alerts[0].counts.acknowledged, recorded.size, 'the list agrees');
  const unacked = (await app.inject({ url: `/api/alerts/${n}/recipients`, headers: bearer })).json();
  t.equal(unacked.count, 50, 'the recipient list agrees with the count');
  t.same(unacked.recipients.map((r: { memberId: number }) => r.memberId).sort((a: number, b: number) => a - b), ids.slice(200));
});
