// Number verification on the members page in headless Chromium: members who have not replied JOIN
// and members whose last text failed are marked and counted; the filter finds them; "Resend welcome"
// queues one more welcome text; a JOIN through the signed inbound webhook clears the mark.
// axe-core, 375 px, no console error. Screenshots: docs/screenshots/members-verification*.png.
import t from 'tap';
import { freshDatabase } from '../helpers/db.js';
import { inboundParams } from '../helpers/phone.js';
import { adminApp, ADMIN_TOKEN, bearer, markSent, OUR_NUMBER, raiseAlert, SIGNATURE_SECRET } from '../helpers/alert-fixtures.js';
import { checkAccessibility, launch, pageWidth, screenshot } from '../helpers/browser.js';

const WAIT = { timeout: 20_000 };

t.test('verification on the members page in Chromium', async (t) => {
  const { db } = await freshDatabase(t);
  const app = await adminApp(db);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const add = async (name: string, phone: string, organisation: string) => {
    const r = await fetch(`${base}/api/members`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ name, phone, organisation }) });
    t.equal(r.status, 201, `${name} added`);
    return ((await r.json()) as { id: number }).id;
  };
  const ann = await add('Ann Able', '07700 900401', 'Northtown Trust');
  const ben = await add('Ben Bad', '07700 900402', 'Southtown ICB');
  await add('Cat Calm', '07700 900403', 'Eastfield Trust');
  await db.updateTable('members').set({ verified_at: new Date() }).where('id', '=', ann).execute(); // Ann replied JOIN earlier
  const n = await raiseAlert(db, new Date(Date.now() - 60_000));
  await markSent(db, n, new Date(Date.now() - 50_000), { memberIds: [ben], receipt: 'failed', error: 'absent subscriber' });
  const welcomesTo = async (id: number) => (await db.selectFrom('outbox').select('id').where('kind', '=', 'welcome').where('member_id', '=', id).execute()).length;
  t.equal(await welcomesTo(ben), 1, 'Ben was welcomed once when added');

  const b = await launch(t);
  if (!b) return;
  const { page, problems } = b;
  const row = (name: string) => page.locator('#members-body tr', { hasText: name });
  await page.goto(`${base}/members#token=${ADMIN_TOKEN}`);
  await page.waitForFunction(() => document.querySelectorAll('#members-body tr').length === 3, null, WAIT);
  await page.waitForSelector('#verification-summary:not([hidden])', WAIT);
  t.equal(
    await page.textContent('#verification-summary'),
    '2 members have not confirmed their number (no JOIN reply to the welcome text yet); the last text to 1 member failed. Alerts still go to them. Filter by phone number to see who, and send the welcome again.',
  );
  t.notMatch(await row('Ann Able').textContent(), /Not confirmed/, 'a confirmed number is not marked');
  t.equal(await row('Ann Able').locator('[data-action="resend-welcome"]').count(), 0, 'and has no resend button');
  t.match(await row('Ben Bad').textContent(), /Not confirmed.*welcome sent.*Last text failed.*\(absent subscriber\)/s);
  t.match(await row('Cat Calm').textContent(), /Not confirmed/);
  await checkAccessibility(t, page, 'members with verification');

  // The filter: the undeliverable numbers only.
  await page.selectOption('#filter-number', 'undeliverable');
  await page.waitForFunction(() => document.querySelector('#count')?.textContent === '1 member', null, WAIT);
  t.match(await page.textContent('#members-body'), /Ben Bad/);
  await screenshot(page, 'members-verification', true);

  // Resend the welcome to Ben.
  await row('Ben Bad').locator('[data-action="resend-welcome"]').click();
  await page.waitForSelector('#notice:not([hidden])', WAIT);
  t.equal(await page.textContent('#notice-text'), 'Welcome text sent again to Ben Bad (07700 900402). Their number is confirmed when they reply JOIN.');
  t.equal(await welcomesTo(ben), 2, 'one more welcome queued for Ben');

  // Cat replies JOIN from her phone (a signed Vonage webhook): her number is confirmed.
  await page.selectOption('#filter-number', 'unverified');
  await page.waitForFunction(() => document.querySelector('#count')?.textContent === '2 members', null, WAIT);
  const res = await fetch(`${base}/webhooks/vonage/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(inboundParams('+447700900403', 'Join', { secret: SIGNATURE_SECRET, to: OUR_NUMBER })).toString(),
  });
  t.equal(res.status, 200, 'JOIN accepted');
  let verified: Date | null = null;
  for (let i = 0; i < 100 && verified === null; i++) {
    verified = (await db.selectFrom('members').select('verified_at').where('phone', '=', '+447700900403').executeTakeFirstOrThrow()).verified_at;
    if (verified === null) await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(verified, 'Cat is verified by her reply');
  const reply = await db.selectFrom('outbox').select('body').where('kind', '=', 'reply').where('recipient', '=', '+447700900403').executeTakeFirst();
  t.equal(reply?.body, 'Thank you: your number is confirmed for Batsignal alerts. Text HELP for the commands.');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#count')?.textContent === '1 member', null, WAIT);
  t.notMatch(await page.textContent('#members-body'), /Cat Calm/, 'no longer listed as not confirmed');

  // A phone.
  await page.selectOption('#filter-number', '');
  await page.waitForFunction(() => document.querySelectorAll('#members-body tr').length === 3, null, WAIT);
  await page.setViewportSize({ width: 375, height: 812 });
  const w = await pageWidth(page);
  t.ok(w <= 375, `no sideways scrolling at 375 px (page is ${w} px wide)`);
  await checkAccessibility(t, page, 'members with verification at 375 px');
  await screenshot(page, 'members-verification-375', true);

  t.same(problems, [], 'no script errors, warnings or CSP violations');
});
