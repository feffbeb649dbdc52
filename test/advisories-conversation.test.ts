// Answering an advisory by text, as the conversation reads it: ACK n, AFFECTED n, NOT AFFECTED n,
// RESOLVED n, NEED HELP n, with or without one ODS code; STATUS n for admins; and no way to issue
// an advisory by text, whoever asks.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { talker } from './helpers/conversation.js';
import { testConfig, raiseAlert } from './helpers/alert-fixtures.js';
import { addContacts, addOrganisations } from './helpers/advisory-fixtures.js';
import { sendFollowUp } from '../src/alerts/followup.js';
import { issueAdvisory } from '../src/advisories/issue.js';
import { parseAdvisoryRequest } from '../src/advisories/request.js';

const NOW = new Date('2026-12-01T09:00:00Z');
const h = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

t.test('answers by text', async (t) => {
  const { db } = await freshDatabase(t);
  const config = testConfig();
  await addOrganisations(db, [
    { odsCode: 'CSU01', name: 'North CSU', type: 'csu' },
    { odsCode: 'RX1', name: 'Northtown Trust', type: 'trust' },
    ...Array.from({ length: 30 }, (_, i) => ({ odsCode: `A81${String(i).padStart(3, '0')}`, name: `Practice ${i}`, type: 'gp_practice', itSupport: 'CSU01', routing: 'via_support' as const })),
  ]);
  const [casId, ritaId, adminId, memberId] = await addContacts(db, [
    { name: 'Cas CSU', odsCode: 'CSU01' },
    { name: 'Rita Northtown', odsCode: 'RX1' },
    { name: 'Ada Admin', odsCode: null, role: 'member', admin: true },
    { name: 'Mo Member', odsCode: null, role: 'member' },
  ]);
  const member = async (id: number) => db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const cas = talker(db, config, await member(casId!), () => h(1));
  const rita = talker(db, config, await member(ritaId!), () => h(1));
  const admin = talker(db, config, await member(adminId!), () => h(1));
  const mo = talker(db, config, await member(memberId!), () => h(1));

  // Members cannot issue advisories by text: there is no such command, for members or admins.
  for (const who of [mo, admin]) {
    for (const text of ['ADVISORY Juniper ScreenOS patch now', 'ADVISORY SEND high trust', 'SEND ADVISORY #1']) {
      t.match(await who.say(text), /Not understood/);
    }
  }
  t.equal((await sql<{ n: number }>`SELECT count(*)::int AS n FROM advisories`.execute(db)).rows[0]!.n, 0, 'no advisory from any text');

  await raiseAlert(db, NOW); // #1, a peer alert to everyone
  const req = parseAdvisoryRequest({ title: 'Juniper ScreenOS backdoor', body: 'Patch now.', severity: 'high', target: { types: ['gp_practice', 'trust'] } });
  if (!req.ok) throw new Error('bad request');
  const issued = await db.transaction().execute((trx) => issueAdvisory(trx, req.value, NOW, { email: false, via: 'api' }));
  t.equal(issued.number, 2);

  t.match(await cas.say('ACK 2 A81999'), /^A81999 is not one of the organisations you received #2 for \(yours: A81000, A81001, A81002 and 27 more\)\. Nothing was recorded\./, 'unknown ODS code: a clear reply');
  t.match(await cas.say('affected 2 a81001 two servers'), /^Advisory #2: AFFECTED recorded for A81001 Practice 1\. Reply RESOLVED 2 when it is fixed/);
  t.match(await cas.say('Ack 2.'), /^Advisory #2: ACK recorded for 29 of your 30 organisations \(1 already further on, unchanged\)\. Next: AFFECTED 2 or NOT AFFECTED 2\. Add an ODS code/);
  t.match(await cas.say('NOT AFFECTED 2'), /^Advisory #2: NOT AFFECTED recorded for 30 of your 30 organisations\. Thank you\./, 'bulk: a correction for practice 1 as well');
  t.match(await cas.say('RESOLVED 2'), /^Advisory #2: RESOLVED recorded for 30 of your 30 organisations/);
  t.match(await cas.say('AFFECTED 2'), /already recorded for your 30 organisations; nothing changed/);

  // RESOLVED before ACK, and late: after the deadline.
  t.match(await rita.say('RESOLVED 2', h(49)), /^Advisory #2: RESOLVED recorded for RX1 Northtown Trust\. Recorded as late: the deadline was Thu 3 Dec 09:00\. Thank you\./);
  const rx1 = await sql<{ response: string; on_time: boolean }>`SELECT response, on_time FROM advisory_organisations WHERE advisory = 2 AND ods_code = 'RX1'`.execute(db);
  t.same(rx1.rows[0], { response: 'resolved', on_time: false });

  // Bare ACK takes the newest unacknowledged alert: the peer alert #1 now (the advisory is answered).
  t.match(await rita.say('ACK'), /^Acknowledged #1\./);
  t.match(await rita.say('RESOLVED 1'), /RESOLVED is for advisories, and #1 is not one/);
  t.match(await mo.say('ACK 2'), /^Alert #2 was not sent to you|Advisory #2 was not sent to you/);

  // STATUS: admins get the advisory's picture in one text; members are told it is for admins.
  const status = await admin.say('STATUS 2', h(49));
  t.equal(status, 'ADVISORY #2 (HIGH) Juniper ScreenOS backdoor, respond by Thu 3 Dec 09:00: 31 organisations, 31 responded (30 on time), 0 affected, 0 not affected, 31 resolved, 0 overdue, 0 unreachable. Text STATUS 2 to refresh.');
  t.match(await admin.say('STATUS', h(49)), /^ADVISORY #2 \(HIGH\)/, 'bare STATUS: the newest alert, an advisory');
  t.match(await mo.say('STATUS 2'), /STATUS for advisory #2 is for admins/);
  t.match(await cas.say('NEED HELP 2 no backups', h(50)), /^Advisory #2: NEED HELP recorded for your 30 organisations\. The national team sees it/);
  t.match(await admin.say('STATUS 2', h(50)), /30 need help\./);

  // An admin's follow-up to an advisory is headed as the advisory was, not as a peer alert.
  const adminRow = await member(adminId!);
  const r = await db.transaction().execute((trx) => sendFollowUp(trx, 'update', adminRow, 2, 'Vendor patch 6.3.0r19 is out.', h(51)));
  t.match(r, { outcome: 'sent' });
  const updates = await sql<{ body: string }>`SELECT DISTINCT body FROM outbox WHERE kind = 'update' AND alert_number = 2`.execute(db);
  const from = adminRow.organisation ? `${adminRow.name} (${adminRow.organisation})` : adminRow.name;
  t.same(updates.rows.map((u) => u.body), [`NHS CYBER ADVISORY #2 UPDATE from ${from}: Vendor patch 6.3.0r19 is out. Reply ACK 2 if you have not already.`]);
});
