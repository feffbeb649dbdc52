// Coverage of a peer alert by organisation: deputies held back and escalated once, situation
// replies by text (each acknowledges; latest answer per member; most serious per organisation),
// NEED HELP relayed to the raiser, STATUS wording, members without an organisation.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { raiseAlert, testConfig } from './helpers/alert-fixtures.js';
import { talker } from './helpers/conversation.js';
import { alertCoverage } from '../src/alerts/coverage.js';
import { escalationText, sweepEscalations } from '../src/alerts/escalation.js';
import { connect, type Database } from '../src/db/connect.js';
import type { ContactRole, Member } from '../src/db/schema.js';
import { converse } from '../src/conversation/handle.js';

const T0 = new Date('2026-11-29T09:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const config = testConfig(); // ESCALATE_AFTER_MINUTES default: 15

async function directory(db: Database) {
  await db
    .insertInto('organisations')
    .values([
      { ods_code: 'RAA', name: 'Alpha Trust', type: 'trust', region: 'North', parent_ods_code: null, it_support_ods_code: null, routing: null, products: null },
      { ods_code: 'RBB', name: 'Beta Trust', type: 'trust', region: 'North', parent_ods_code: null, it_support_ods_code: null, routing: null, products: null },
      { ods_code: 'P81001', name: 'Gamma Surgery', type: 'gp_practice', region: 'South', parent_ods_code: null, it_support_ods_code: null, routing: null, products: null },
    ])
    .execute();
}

let phone = 100;
async function member(db: Database, name: string, ods: string | null, role: ContactRole = 'member', extra: Partial<Member> = {}): Promise<Member> {
  return db
    .insertInto('members')
    .values({ name, phone: `+447700900${String(phone++).padStart(3, '0')}`, ods_code: ods, contact_role: role, organisation: ods ?? '', role: extra.role ?? 'member' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function texts(db: Database, memberId: number, kind?: string) {
  let q = db.selectFrom('outbox').select(['body', 'kind', 'alert_number']).where('member_id', '=', memberId).orderBy('id');
  if (kind) q = q.where('kind', '=', kind as 'alert');
  return q.execute();
}

t.test('escalationText', async (t) => {
  t.equal(
    escalationText('BATSIGNAL #3 from X: y. Reply ACK 3 to confirm.', { odsCode: 'RAA', name: 'Alpha Trust' }),
    'Deputy for Alpha Trust (RAA): nobody there has acknowledged yet. BATSIGNAL #3 from X: y. Reply ACK 3 to confirm.',
  );
});

t.test('deputies held back; escalated once when uncovered after 15 minutes; never once covered', async (t) => {
  const { db } = await freshDatabase(t);
  await directory(db);
  const a1 = await member(db, 'Ann Alpha', 'RAA', 'primary');
  const aDep = await member(db, 'Dan Alpha', 'RAA', 'deputy');
  const b1 = await member(db, 'Bob Beta', 'RBB', 'primary');
  const b2 = await member(db, 'Bea Beta', 'RBB');
  const bDep = await member(db, 'Dee Beta', 'RBB', 'deputy');
  const bDepOut = await member(db, 'Dora Beta', 'RBB', 'deputy');
  await sql`UPDATE members SET opted_out = true WHERE id = ${bDepOut.id}`.execute(db);
  const gDep = await member(db, 'Gus Gamma', 'P81001', 'deputy'); // an organisation with only a deputy
  const loner = await member(db, 'Nora None', null);

  const n = await raiseAlert(db, T0);
  const rcpt = await db.selectFrom('deliveries').select(['member_id', 'ods_code', 'contact_role']).where('alert_number', '=', n).orderBy('member_id').execute();
  t.same(rcpt.map((r) => r.member_id), [a1.id, b1.id, b2.id, loner.id], 'every member except deputies');
  t.same(rcpt.map((r) => r.ods_code), ['RAA', 'RBB', 'RBB', null], 'organisation kept on the delivery');
  t.equal((await texts(db, aDep.id)).length, 0, 'no text to a deputy at broadcast');

  const ann = talker(db, config, a1);
  t.match(await ann.say(`ACK ${n}`, at(2)), new RegExp(`Acknowledged #${n}\\. Thank you\\. Reply AFFECTED ${n}, NOT AFFECTED ${n} or NEED HELP ${n} <text>`));

  let cov = (await alertCoverage(db, n))!;
  t.same(cov.summary, {
    targeted: 3, covered: 1, uncovered: 2, needHelp: 0, affected: 0, notAffected: 0, escalated: 0,
    noOrganisation: { recipients: 1, acknowledged: 0 },
  });
  t.same(cov.organisations.map((o) => [o.odsCode, o.recipients, o.acknowledged, o.covered, o.deputiesHeld]), [
    ['RAA', 1, 1, true, 1],
    ['RBB', 2, 0, false, 1],
    ['P81001', 0, 0, false, 1],
  ], 'sorted by name: Alpha Trust, Beta Trust, Gamma Surgery');

  t.same(await sweepEscalations(db, config, at(14)), { organisations: 0, deputies: 0 }, 'nothing before 15 minutes');
  t.same(await sweepEscalations(db, config, at(15)), { organisations: 2, deputies: 2 }, 'Beta and Gamma escalated: one deputy each (Dora opted out)');
  t.same(await sweepEscalations(db, config, at(16)), { organisations: 0, deputies: 0 }, 'never again');
  t.same(await sweepEscalations(db, config, at(60)), { organisations: 0, deputies: 0 }, 'still never again');

  t.equal((await texts(db, aDep.id)).length, 0, 'Alpha was covered: its deputy gets nothing');
  const dee = await texts(db, bDep.id, 'alert');
  t.equal(dee.length, 1);
  t.match(dee[0]!.body, new RegExp(`^Deputy for Beta Trust \\(RBB\\): nobody there has acknowledged yet\\. BATSIGNAL #${n} from`));
  t.equal((await texts(db, gDep.id, 'alert')).length, 1);
  t.equal((await texts(db, bDepOut.id)).length, 0, 'an opted-out deputy is not texted');

  cov = (await alertCoverage(db, n))!;
  const beta = cov.organisations.find((o) => o.odsCode === 'RBB')!;
  t.equal(beta.recipients, 3, 'the deputy is a recipient now');
  t.same(beta.escalatedAt, at(15));
  t.equal(beta.deputiesHeld, 0, 'no deputy held back any more (an opted-out one never counts)');
  t.equal(cov.summary.escalated, 2);
  t.equal((await db.selectFrom('alerts').select('recipient_count').where('number', '=', n).executeTakeFirstOrThrow()).recipient_count, 6);

  // The deputy can acknowledge like anyone: the organisation is covered.
  const deeTalk = talker(db, config, bDep);
  t.match(await deeTalk.say('ack', at(17)), new RegExp(`Acknowledged #${n}`));
  t.equal((await alertCoverage(db, n))!.organisations.find((o) => o.odsCode === 'RBB')!.covered, true);
});

t.test('no escalation for a closed alert, nor before the delay; an alert with no organisations sweeps to nothing', async (t) => {
  const { db } = await freshDatabase(t);
  await directory(db);
  await member(db, 'Bob Beta', 'RBB', 'primary');
  const dep = await member(db, 'Dee Beta', 'RBB', 'deputy');
  const n = await raiseAlert(db, T0);
  await sql`UPDATE alerts SET status = 'closed', closed_at = ${at(5)} WHERE number = ${n}`.execute(db);
  t.same(await sweepEscalations(db, config, at(30)), { organisations: 0, deputies: 0 });
  t.equal((await texts(db, dep.id)).length, 0);
});

t.test('coverage counts under concurrent ACKs and situation replies', async (t) => {
  const { db } = await freshDatabase(t, 20);
  await directory(db);
  const orgs = ['RAA', 'RBB', 'P81001'];
  const ms: Member[] = [];
  for (let i = 0; i < 30; i++) ms.push(await member(db, `M${i}`, orgs[i % 3]!));
  const n = await raiseAlert(db, T0);
  // Thirty members answer at once, each in its own transaction as the inbound edge runs them.
  const words = ['ACK', `AFFECTED ${n}`, `not affected #${n}.`];
  await Promise.all(
    ms.map((m, i) => db.transaction().execute((trx) => converse(trx, { config }, m, words[Math.floor(i / 3) % 3]!, at(1)))),
  );
  const cov = (await alertCoverage(db, n))!;
  t.same(cov.organisations.map((o) => o.acknowledged), [10, 10, 10]);
  t.equal(cov.summary.covered, 3);
  t.same(cov.organisations.map((o) => [o.affected, o.notAffected]), [[3, 3], [3, 3], [3, 3]], 'per organisation: 4 ACK, 3 AFFECTED, 3 NOT AFFECTED');
  const acked = await db.selectFrom('deliveries').select((eb) => eb.fn.count<string>('acked_at').as('n')).where('alert_number', '=', n).executeTakeFirstOrThrow();
  t.equal(Number(acked.n), 30, 'every answer acknowledged exactly its own delivery');
  t.equal(cov.summary.affected, 3, 'each organisation has an AFFECTED member, the most serious answer');
});

t.test('situation: precedence, latest answer per member, NEED HELP relayed to the raiser, STATUS wording', async (t) => {
  const { db } = await freshDatabase(t);
  await directory(db);
  const raiser = await member(db, 'Rita Raiser', 'RAA', 'primary');
  const admin = await member(db, 'Adam Admin', null, 'member', { role: 'admin' });
  const x = await member(db, 'Xavier Beta', 'RBB');
  const y = await member(db, 'Yara Beta', 'RBB', 'primary');
  const z = await member(db, 'Zed Gamma', 'P81001');
  const n = await raiseAlert(db, T0, { raiserId: raiser.id, raiserName: raiser.name, raiserOrg: 'Alpha Trust', source: 'sms' });

  const xt = talker(db, config, x);
  const yt = talker(db, config, y);
  const zt = talker(db, config, z);
  t.match(await xt.say(`Affected ${n}`, at(1)), new RegExp(`^Recorded for #${n}: AFFECTED \\(and acknowledged\\)\\. Reply NEED HELP ${n}`));
  const beta = async () => (await alertCoverage(db, n))!.organisations.find((o) => o.odsCode === 'RBB')!;
  t.equal((await beta()).situation, 'affected');

  t.match(await yt.say('need help - our backups are encrypted too', at(2)), new RegExp(`^Recorded for #${n}: NEED HELP \\(and acknowledged\\)\\. Your message went to the member who raised it`));
  t.equal((await beta()).situation, 'need_help', 'need help beats affected');
  const relay = await texts(db, raiser.id, 'reply');
  t.equal(relay.length, 1, 'one text to the raiser');
  t.equal(
    relay[0]!.body,
    `NEED HELP on #${n} from Yara Beta (Beta Trust, RBB), call ${y.phone}: "our backups are encrypted too". Reply STATUS ${n} for the picture.`,
  );

  t.match(await yt.say(`NOT AFFECTED ${n}`, at(3)), new RegExp(`^Recorded for #${n}: NOT AFFECTED\\. Thank you`), 'no "(and acknowledged)" the second time');
  t.equal((await beta()).situation, 'affected', "Yara's latest answer replaces her NEED HELP; Xavier's AFFECTED is the most serious left");
  t.match(await xt.say(`unaffected #${n}`, at(4)), /NOT AFFECTED/);
  t.equal((await beta()).situation, 'not_affected');
  t.equal((await alertCoverage(db, n))!.organisations.find((o) => o.odsCode === 'P81001')!.situation, 'unknown');

  // Answers the member cannot give.
  t.match(await zt.say('AFFECTED 999', at(5)), /There is no alert #999/);
  t.match(await talker(db, config, raiser).say(`affected ${n}`, at(5)), new RegExp(`You raised #${n}; AFFECTED, NOT AFFECTED and NEED HELP are for its recipients`));
  t.match(await zt.say('NEED HELP 12345678901234', at(5)), /There is no alert #12345678901234/);

  // STATUS adds organisations covered and how many need help.
  await zt.say(`NEED HELP ${n} ransomware note on every PC`, at(6));
  const status = await talker(db, config, admin).say(`STATUS ${n}`, at(7));
  // Alpha Trust is the raiser's own (she is its only member): not targeted.
  t.match(status, / Organisations: 2 of 2 covered, 1 needs help\. Text STATUS/);
  t.notMatch(status, /[^\x20-\x7e]/, 'plain text');

  // A bare answer goes to the newest open alert the member received, acknowledged or not.
  const n2 = await raiseAlert(db, at(8));
  t.match(await zt.say('affected', at(9)), new RegExp(`Recorded for #${n2}: AFFECTED \\(and acknowledged\\)`));
  await sql`UPDATE alerts SET status = 'closed' WHERE number IN (${n}, ${n2})`.execute(db);
  t.match(await zt.say('not affected', at(10)), /Nothing to answer: you have no open alerts/);

  // HELP lists them.
  t.match(await zt.say('HELP', at(11)), /AFFECTED 12, NOT AFFECTED 12 or NEED HELP 12 <text>/);
});

t.test('NEED HELP on an alert raised through the admin API goes to the admins; "Affected ..." during a raise is its description', async (t) => {
  const { db } = await freshDatabase(t);
  await directory(db);
  const admin = await member(db, 'Adam Admin', null, 'member', { role: 'admin' });
  const y = await member(db, 'Yara Beta', 'RBB', 'primary');
  const n = await raiseAlert(db, T0); // raiserId null: raised by an admin through the API
  await talker(db, config, y).say(`NEED HELP ${n}`, at(1));
  const relay = await texts(db, admin.id, 'reply');
  t.equal(relay.length, 1);
  t.match(relay[0]!.body, new RegExp(`NEED HELP on #${n} from Yara Beta \\(Beta Trust, RBB\\), call \\+447700900\\d{3} \\(no details given\\)\\.`));

  const yt = talker(db, config, y);
  await yt.say('RAISE', at(2));
  await yt.say('YES', at(3));
  t.match(await yt.say('Affected: EMIS Web at three practices, ransom note', at(4)), /Reply CONFIRM \d+ to send it/, 'taken as the description');
});

t.test('escalation exactly once: two sweepers on two connection pools at the same time', async (t) => {
  const { db, url } = await freshDatabase(t, 4);
  const orgs = Array.from({ length: 300 }, (_, i) => ({
    ods_code: `Q${String(i).padStart(4, '0')}`, name: `Org ${i}`, type: 'other' as const, region: null,
    parent_ods_code: null, it_support_ods_code: null, routing: null, products: null,
  }));
  await db.insertInto('organisations').values(orgs).execute();
  await db
    .insertInto('members')
    .values(orgs.flatMap((o, i) => [
      { name: `P ${i}`, phone: `+4474001${String(2 * i).padStart(5, '0')}`, ods_code: o.ods_code, contact_role: 'primary' as const },
      { name: `D ${i}`, phone: `+4474001${String(2 * i + 1).padStart(5, '0')}`, ods_code: o.ods_code, contact_role: 'deputy' as const },
    ]))
    .execute();
  const n = await raiseAlert(db, T0);
  // A third of the organisations acknowledged in time.
  await sql`UPDATE deliveries SET acked_at = ${at(3)} WHERE alert_number = ${n} AND right(ods_code, 1) IN ('0', '3', '6')`.execute(db);
  const other = connect(url, 4);
  t.teardown(() => other.destroy());
  const [a, b] = await Promise.all([sweepEscalations(db, config, at(20), 7), sweepEscalations(other, config, at(20), 7)]);
  const covered = orgs.filter((o) => ['0', '3', '6'].includes(o.ods_code.slice(-1))).length;
  t.equal(a.organisations + b.organisations, 300 - covered, 'every uncovered organisation once between them');
  t.equal(a.deputies + b.deputies, 300 - covered);
  const dup = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (SELECT member_id FROM outbox WHERE kind = 'alert' GROUP BY member_id HAVING count(*) > 1) x`.execute(db);
  t.equal(dup.rows[0]!.n, 0, 'no member has two alert texts');
  t.same(await sweepEscalations(db, config, at(21)), { organisations: 0, deputies: 0 });
});
