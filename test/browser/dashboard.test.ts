// The dashboard in headless Chromium: sign in with the admin token, see an alert's counts, then
// watch the acknowledged count rise as signed ACK webhooks arrive, with no reload.
// Screenshots (desktop and 375 px) are kept in test-artifacts/ for the record.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { freshDatabase } from '../helpers/db.js';
import { inboundParams } from '../helpers/phone.js';
import { checkAccessibility, screenshot } from '../helpers/browser.js';
import { addMembers, adminApp, ADMIN_TOKEN, markSent, memberSpecs, OUR_NUMBER, raiseAlert, SIGNATURE_SECRET } from '../helpers/alert-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

t.test('dashboard in Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`Chromium is not installed at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) to run the browser test`);
    return;
  }
  const { db } = await freshDatabase(t);
  const ids = await addMembers(db, [
    ...memberSpecs(8),
    { name: 'Olive Out', phone: '+447700900900', organisation: 'Southtown', optedOut: true },
  ]);
  await raiseAlert(db, new Date(Date.now() - 3 * 3600_000), { summary: 'Old exercise', exercise: true });
  const n = await raiseAlert(db, new Date(Date.now() - 4 * 60_000), { summary: 'WannaCry-style worm spreading over SMB; block port 445 at the boundary' });
  await markSent(db, n, new Date(Date.now() - 3 * 60_000), { memberIds: ids.slice(0, 6), receipt: 'delivered' });
  await markSent(db, n, new Date(Date.now() - 3 * 60_000), { memberIds: [ids[6]!], receipt: 'failed', error: 'absent subscriber' });

  const app = await adminApp(db);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  /** A member's ACK, as Vonage delivers it: a signed form POST to the real socket. */
  const ack = async (phone: string, text: string) => {
    const res = await fetch(`${base}/webhooks/vonage/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(inboundParams(phone, text, { secret: SIGNATURE_SECRET, to: OUR_NUMBER })).toString(),
    });
    t.equal(res.status, 200, `webhook "${text}" from ${phone} accepted`);
  };

  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  t.teardown(async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  const count = (page: Page, name: string) => page.textContent(`[data-count="${name}"] .bs-count__value`);

  await page.goto(`${base}/dashboard`);
  t.ok(await page.isVisible('#token'), 'asks for the token');
  t.notOk(await page.isVisible('#board'), 'no board before the token');
  t.notMatch(await page.content(), /WannaCry|Member 1|900001/, 'no data before the token');

  await page.fill('#token', 'not-the-right-token-000000');
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#token-error:not([hidden])');
  t.match(await page.textContent('#token-error'), /not accepted/, 'a wrong token is refused plainly');
  t.notMatch(await page.content(), /WannaCry/, 'still no data');
  t.same(problems.filter((p) => !/status of 401/.test(p)), [], 'only the refused request so far');
  problems.length = 0;

  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('[data-count="recipients"]');
  t.equal(await count(page, 'recipients'), '8');
  t.equal(await count(page, 'delivered'), '6');
  t.equal(await count(page, 'failed'), '1');
  t.equal(await count(page, 'acknowledged'), '0');
  t.equal(await count(page, 'unacknowledged'), '8');
  t.equal(await count(page, 'optedOutMembers'), '1', 'opted-out members shown');
  t.match(await page.textContent('#detail-summary'), 'WannaCry-style worm');
  t.equal(await page.locator('#alerts-body tr').count(), 2, 'both alerts listed');
  t.match(await page.textContent('#alerts-body tr[data-alert="1"]'), /Exercise/, 'the exercise is marked');
  t.equal(await page.locator('#nonresponders-body tr').count(), 8, 'every non-responder listed');
  t.equal(await page.getAttribute('#nonresponders-body a[href^="tel:"] >> nth=0', 'href'), 'tel:+447700900000');
  t.match(await page.textContent(`#nonresponders-body tr[data-member="${ids[6]}"]`), /Failed.*absent subscriber/);
  t.equal(await page.evaluate(() => sessionStorage.getItem('batsignal.adminToken')), ADMIN_TOKEN, 'token kept for the tab');

  // Marker to prove the page is never reloaded while counts change.
  await page.evaluate(() => ((window as unknown as { bsMarker: number }).bsMarker = 42));
  await ack('+447700900001', `ACK ${n}`);
  await ack('+447700900002', 'ack');
  await ack('+447700900003', `Ack #${n}.`);
  await ack('+447700900003', `ACK ${n}`); // a second ACK changes nothing
  await page.waitForFunction(() => document.querySelector('[data-count="acknowledged"] .bs-count__value')?.textContent === '3', null, { timeout: 15_000 });
  t.equal(await count(page, 'acknowledged'), '3', 'acknowledged count rose without a reload');
  t.equal(await count(page, 'unacknowledged'), '5');
  t.equal(await page.evaluate(() => (window as unknown as { bsMarker?: number }).bsMarker), 42, 'same page: not reloaded');
  await page.waitForFunction(() => document.querySelectorAll('#nonresponders-body tr').length === 5);
  t.equal(await page.locator('#nonresponders-body tr').count(), 5, 'those who acknowledged left the list');
  t.equal(await page.textContent('#alerts-body tr[data-alert="2"] td:nth-child(3)').then((s) => s?.replace(/\s+/g, ' ').trim()), 'Acknowledged 3 of 8');

  await checkAccessibility(t, page, 'dashboard');
  await screenshot(page, 'dashboard', true);

  // The CSV button downloads with the token (a plain link could not carry it).
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-unacked')]);
  t.equal(download.suggestedFilename(), `batsignal-${n}-unacknowledged.csv`);
  const csv = readFileSync((await download.path()), 'utf8');
  t.equal(csv.trim().split('\r\n').length, 6, 'header and five non-responders');

  // A phone screen: 375 px wide, nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 812 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null)))); // one layout pass
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  t.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
  t.ok(await page.isVisible('[data-count="acknowledged"]'), 'counts visible on a phone');
  await checkAccessibility(t, page, 'dashboard at 375 px');
  await screenshot(page, 'dashboard-375', true);

  // Another alert by its link; then sign out clears everything.
  await page.click('#alerts-body tr[data-alert="1"] a');
  await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent === 'Alert #1');
  t.ok(await page.isVisible('#exercise-callout'), 'an exercise says so in large print');
  await page.click('#signout');
  t.ok(await page.isVisible('#token'), 'back to the token form');
  t.notOk(await page.isVisible('#board'));
  t.equal(await page.evaluate(() => sessionStorage.getItem('batsignal.adminToken')), null, 'token forgotten');

  t.same(problems, [], 'no script errors, warnings or blocked resources');
});
