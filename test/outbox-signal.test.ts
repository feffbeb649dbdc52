import t from 'tap';
import pg from 'pg';
import { freshDatabase } from './helpers/db.js';
import { createOutboxSignal } from '../src/outbox/signal.js';
import { connectionStringOf } from '../src/db/connect.js';

t.test('touch wakes local dispatchers at once and other instances by one NOTIFY', async (t) => {
  const { db } = await freshDatabase(t);
  const listener = new pg.Client({ connectionString: connectionStringOf(db) });
  await listener.connect();
  t.teardown(() => listener.end());
  let notifications = 0;
  listener.on('notification', (n) => {
    if (n.channel === 'outbox') notifications++;
  });
  await listener.query('LISTEN outbox');

  const signal = createOutboxSignal(db, (err) => t.fail(String(err)), 50);
  let local = 0;
  const unsubscribe = signal.subscribe(() => local++);
  for (let i = 0; i < 20; i++) signal.touch(); // a burst of commits
  await new Promise((r) => setImmediate(r));
  t.equal(local, 1, 'a burst of touches wakes the local dispatcher once');
  const until = Date.now() + 5000;
  while (notifications < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 200));
  t.equal(notifications, 2, 'the burst coalesces into one NOTIFY now and one for what came during it');
  unsubscribe();
  signal.touch();
  await new Promise((r) => setImmediate(r));
  t.equal(local, 1, 'unsubscribed listeners are not called');
});
