// The organisations view of an alert on the dashboard, in headless Chromium: the sample directory,
// named contacts, an alert, and situation replies as signed webhooks. The view shows covered /
// uncovered / need help / affected from GET /api/alerts/:n/organisations, a table that sorts and
// filters, and for each uncovered organisation its contacts with tel: links; it follows new
// answers without a reload, works at 375 px, and axe-core finds nothing serious.
// Screenshots: docs/screenshots/dashboard-organisations.png and -375.png.
import t from 'tap';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { freshDatabase } from '../helpers/db.js';
import { inboundParams } from '../helpers/phone.js';
import path from 'node:path';
import { checkAccessibility, DOC_SHOTS, launch, pageWidth, screenshot } from '../helpers/browser.js';
import { adminApp, ADMIN_TOKEN, OUR_NUMBER, raiseAlert, SIGNATURE_SECRET } from '../helpers/alert-fixtures.js';
import { addContacts } from '../helpers/advisory-fixtures.js';
import { importOrganisations } from '../../src/directory/org-import.js';
import { SAMPLE_ORGANISATIONS_CSV } from '../../src/directory/org-sample.js';

const WAIT = { timeout: 20_000 };

t.test('organisations view of an alert', async (t) => {
  const { db } = await freshDatabase(t);
  const report = await importOrganisations(db, SAMPLE_ORGANISATIONS_CSV, new Date());
  t.equal(report.rejected, 0, 'sample directory loaded');
  await addContacts(db, [
    { name: 'Alex Morgan', odsCode: 'RZN', role: 'primary', phone: '+447700900101', admin: true },
    { name: 'Priya Shah', odsCode: 'RZN', role: 'deputy', phone: '+447700900102' },
    { name: 'Ben Carter', odsCode: 'RZS', role: 'primary', phone: '+447700900103' },
    { name: 'Dana Lee', odsCode: 'RZS', role: 'member', phone: '+447700900104', optedOut: true },
    { name: 'Jo Williams', odsCode: 'RZE', role: 'primary', phone: '+447700900105' },
    { name: 'Chris Okafor', odsCode: 'RZW', role: 'primary', phone: '+447700900106' },
    { name: 'Tom Evans', odsCode: '0ZC', role: 'primary', phone: '+447700900107' },
    { name: 'Ade Bello', odsCode: 'Z91001', role: 'primary', phone: '+447700900108' },
    { name: 'Sam Patel', odsCode: 'QZA', role: 'primary', phone: '+447700900109' },
    { name: 'Nia Hughes', odsCode: null, role: 'member', phone: '+447700900110' },
  ]);
  // The members' organisation as people write it (the directory's name).
  await sql`UPDATE members m SET organisation = o.name FROM organisations o WHERE o.ods_code = m.ods_code`.execute(db);
  const n = await raiseAlert(db, new Date(Date.now() - 6 * 60_000), { summary: 'Ransomware spreading over SMB from ward PCs; block port 445 at the boundary' });

  const app = await adminApp(db);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const text = async (phone: string, body: string) => {
    const res = await fetch(`${base}/webhooks/vonage/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(inboundParams(phone, body, { secret: SIGNATURE_SECRET, to: OUR_NUMBER })).toString(),
    });
    t.equal(res.status, 200, `"${body}" from ${phone} accepted`);
  };
  await text('+447700900101', `AFFECTED ${n}`);
  await text('+447700900109', 'not affected');
  await text('+447700900105', `NEED HELP ${n} need hands to isolate ward PCs`);
  await text('+447700900110', 'ACK');

  const b = await launch(t);
  if (!b) return;
  const { page, problems } = b;
  const orgCount = (key: string) => page.textContent(`[data-org-count="${key}"] .bs-count__value`);
  const rowOrder = (p: Page) => p.$$eval('#org-body tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.ods));

  await page.goto(`${base}/dashboard#token=${ADMIN_TOKEN}`);
  await page.waitForSelector('#orgs:not([hidden]) #org-body tr', WAIT);
  t.equal(await orgCount('targeted'), '7', 'seven organisations had recipients');
  t.equal(await orgCount('covered'), '3', 'RZN, QZA, RZE covered');
  t.equal(await orgCount('uncovered'), '4');
  t.equal(await orgCount('needHelp'), '1');
  t.equal(await orgCount('affected'), '1');
  t.equal(await orgCount('notAffected'), '1');
  t.match(await page.textContent('#org-noorg'), 'And 1 recipient with no organisation in the directory (1 acknowledged).');

  // Default order: who needs attention first (need help, then uncovered by name, then affected).
  t.same(await rowOrder(page), ['RZE', '0ZC', 'Z91001', 'RZS', 'RZW', 'RZN', 'QZA'], 'need help, uncovered, affected, the rest');
  t.match(await page.textContent('#org-body tr[data-ods="RZE"]'), /Needs help/);
  t.match(await page.textContent('#org-body tr[data-ods="RZN"]'), /Affected/);
  // Uncovered organisations: contacts with numbers to call, primary first; opted-out members too (STOP is about texts).
  const rzs = page.locator('#org-body tr[data-ods="RZS"]');
  t.match(await rzs.textContent(), /Uncovered/);
  t.same(
    await rzs.locator('a[href^="tel:"]').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent])),
    [['tel:+447700900103', '07700 900103'], ['tel:+447700900104', '07700 900104']],
    'Ben Carter (primary) then Dana Lee, each a tel: link',
  );
  t.match(await rzs.textContent(), /Ben Carter \(primary contact\).*Dana Lee \(member\), opted out of texts/);
  t.equal(await page.locator('#org-body tr[data-ods="QZA"] a[href^="tel:"]').count(), 0, 'no one to call at a covered organisation');

  // Sort by a header: ascending, then descending, with aria-sort.
  await page.click('button[data-sort="name"]');
  t.same(await rowOrder(page), ['RZE', 'QZA', '0ZC', 'RZN', 'Z91001', 'RZS', 'RZW'], 'by name');
  t.equal(await page.getAttribute('th[data-sort-col="name"]', 'aria-sort'), 'ascending');
  await page.click('button[data-sort="name"]');
  t.same(await rowOrder(page), ['RZW', 'RZS', 'Z91001', 'RZN', '0ZC', 'QZA', 'RZE'], 'by name, descending');
  t.equal(await page.getAttribute('th[data-sort-col="name"]', 'aria-sort'), 'descending');
  await page.click('button[data-sort="situation"]');
  t.same((await rowOrder(page)).slice(0, 3), ['RZE', 'RZN', 'QZA'], 'by situation: need help, affected, not affected');

  // Filter: uncovered only.
  await page.selectOption('#org-state', 'uncovered');
  t.same((await rowOrder(page))?.sort(), ['0ZC', 'RZS', 'RZW', 'Z91001'], 'the four uncovered');
  await page.selectOption('#org-state', 'all');
  await page.selectOption('#org-sort', 'attention');

  // A new answer arrives: the view follows without a reload.
  await page.evaluate(() => ((window as unknown as { bsMarker: number }).bsMarker = 7));
  await text('+447700900103', `ACK ${n}`);
  await page.waitForFunction(() => document.querySelector('[data-org-count="covered"] .bs-count__value')?.textContent === '4', null, WAIT);
  t.equal(await orgCount('uncovered'), '3', 'Southtown covered once Ben acknowledged');
  t.match(await page.textContent('#org-body tr[data-ods="RZS"]'), /Covered/);
  t.equal(await page.locator('#org-body tr[data-ods="RZS"] a[href^="tel:"]').count(), 0, 'nobody left to call there');
  t.equal(await page.evaluate(() => (window as unknown as { bsMarker?: number }).bsMarker), 7, 'not reloaded');

  await checkAccessibility(t, page, 'organisations view');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await screenshot(page, 'dashboard-organisations');
  await page.locator('#orgs').screenshot({ path: path.join(DOC_SHOTS, 'dashboard-organisations.png') });

  // The CSV of the view, downloaded with the token.
  await page.selectOption('#org-state', 'uncovered');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#org-csv')]);
  t.equal(download.suggestedFilename(), `batsignal-${n}-organisations-uncovered.csv`);
  await page.selectOption('#org-state', 'all');

  // A phone: the table becomes cards, the numbers stay tappable, nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 812 });
  const width = await pageWidth(page);
  t.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
  const tel = page.locator('#org-body tr[data-ods="RZW"] a[href="tel:+447700900106"]');
  t.ok(await tel.isVisible(), "Chris Okafor's number visible on a phone");
  const box = await tel.boundingBox();
  t.ok(box && box.x >= 0 && box.x + box.width <= 375, 'and inside the screen');
  t.ok(await page.isVisible('#org-sort'), 'sorting on a phone through the select');
  await checkAccessibility(t, page, 'organisations view at 375 px');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await screenshot(page, 'dashboard-organisations-375');
  await page.locator('#orgs').screenshot({ path: path.join(DOC_SHOTS, 'dashboard-organisations-375.png') });

  t.same(problems, [], 'no script errors, warnings or blocked resources');
});
