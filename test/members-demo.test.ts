// Demo members on a first embedded start: clearly fake, offered once, never added beside real ones.
import t from 'tap';
import { freshDatabase } from './helpers/db.js';
import { seedDemoMembers } from '../src/directory/demo.js';
import { isDramaNumber } from '../src/directory/phone.js';
import { isGsm7 } from '../src/text/gsm7.js';

t.test('an empty registry gets six fake members, one of them an admin; only once', async (t) => {
  const { db } = await freshDatabase(t);
  t.equal(await seedDemoMembers(db), 6);
  const rows = await db.selectFrom('members').selectAll().orderBy('phone').execute();
  t.same(rows.map((m) => m.phone), ['+447700900001', '+447700900002', '+447700900003', '+447700900004', '+447700900005', '+447700900006']);
  t.ok(rows.every((m) => isDramaNumber(m.phone)), "every number is in Ofcom's drama range");
  t.ok(rows.every((m) => m.name.startsWith('Demo - ') && m.organisation.startsWith('Demo ')), 'names and organisations say Demo');
  // The name and organisation go into every broadcast text: keep them GSM-7 (an em dash would not be).
  t.ok(rows.every((m) => isGsm7(`${m.name} (${m.organisation})`)), 'GSM-7 names');
  t.equal(rows.filter((m) => m.role === 'admin').length, 1);
  t.ok(rows.every((m) => !m.opted_out && m.email === null));

  t.equal(await seedDemoMembers(db), 0, 'a second start adds nothing');
  await db.deleteFrom('members').execute();
  t.equal(await seedDemoMembers(db), 0, 'an admin who removed them does not get them back');
  t.equal((await db.selectFrom('members').select('id').execute()).length, 0);
});

t.test('a registry that already has members gets none', async (t) => {
  const { db } = await freshDatabase(t);
  await db.insertInto('members').values({ name: 'Jane Smith', phone: '+447400123456' }).execute();
  t.equal(await seedDemoMembers(db), 0);
  t.same((await db.selectFrom('members').select('name').execute()).map((m) => m.name), ['Jane Smith']);
});
