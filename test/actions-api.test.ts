// The dashboard's raise / UPDATE / ALLCLEAR API by the text conversation's rules: token required,
// only an admin member acts, threshold and description checked, nothing queued by a preview, a
// send whose previewed text is stale refused, closed and unknown alerts refused.
import t from 'tap';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, bearer, memberSpecs } from './helpers/alert-fixtures.js';

t.test('preview and send from the dashboard', async (t) => {
  const { db } = await freshDatabase(t);
  const [adminId, memberId] = await addMembers(db, [{ name: 'Alex Admin', phone: '+447700900500', organisation: 'Northtown', role: 'admin' }, ...memberSpecs(3)]);
  const app = await adminApp(db);
  t.teardown(() => app.close());
  const post = (url: string, payload: object, headers: Record<string, string> = bearer) => app.inject({ method: 'POST', url, headers, payload });
  const raise = { adminId, kind: 'raise', summary: 'Worm on port 445, block it', thresholdMet: true };
  const outbox = async () => Number((await db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  t.equal((await post('/api/actions/preview', raise, {})).statusCode, 401, 'token required');
  const notAdmin = await post('/api/actions/preview', { ...raise, adminId: memberId });
  t.equal(notAdmin.json().error, 'not_an_admin');
  const below = await post('/api/actions/preview', { ...raise, thresholdMet: false });
  t.equal(below.statusCode, 400);
  t.equal(below.json().error, 'refused');
  t.equal((await post('/api/actions/preview', { ...raise, summary: 'ab' })).json().error, 'refused', 'too short, as by text');

  const preview = await post('/api/actions/preview', raise);
  t.equal(preview.statusCode, 200);
  t.match(preview.json(), { kind: 'raise', reach: 3, exercise: false, alert: 1 });
  t.match(preview.json().text, /^BATSIGNAL #1 from Alex Admin \(Northtown\): Worm on port 445/);
  t.equal(await outbox(), 0, 'a preview queues nothing');

  const stale = await post('/api/actions/send', { ...raise, previewedText: 'something else' });
  t.equal(stale.statusCode, 409, 'a stale preview is refused');
  t.equal(await outbox(), 0);
  const sent = await post('/api/actions/send', { ...raise, previewedText: preview.json().text });
  t.equal(sent.statusCode, 200);
  t.match(sent.json(), { alert: 1, recipients: 3 });
  const alert = await db.selectFrom('alerts').selectAll().where('number', '=', 1).executeTakeFirstOrThrow();
  t.equal(alert.source, 'admin');
  t.equal(alert.raised_by, adminId);
  t.equal((await post('/api/actions/send', { ...raise, previewedText: preview.json().text })).statusCode, 409, 'the same preview cannot raise twice (the number moved on)');

  t.equal((await post('/api/actions/preview', { adminId, kind: 'update', alert: 9, text: 'x y z' })).statusCode, 404, 'no such alert');
  t.equal((await post('/api/actions/preview', { adminId, kind: 'update', alert: 1, text: '' })).json().error, 'refused', 'an update needs words');
  const clear = await post('/api/actions/preview', { adminId, kind: 'allclear', alert: 1 });
  t.equal(clear.statusCode, 200);
  t.equal((await post('/api/actions/send', { adminId, kind: 'allclear', alert: 1, previewedText: clear.json().text })).statusCode, 200);
  const late = await post('/api/actions/preview', { adminId, kind: 'update', alert: 1, text: 'more news' });
  t.equal(late.statusCode, 409, 'a closed alert takes no update');
});
