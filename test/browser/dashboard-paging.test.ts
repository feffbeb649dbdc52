// The dashboard's "Not acknowledged" table a page at a time (issue #12): 230 non-responders are
// 100, 100 and 30 rows behind NHS.UK Previous/Next links, each page what the API's page says;
// acknowledgements that empty the last page shown move it back; axe on a paged table.
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import { freshDatabase } from '../helpers/db.js';
import { checkAccessibility } from '../helpers/browser.js';
import { addMembers, adminApp, ADMIN_TOKEN, bearer, memberSpecs, raiseAlert } from '../helpers/alert-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

t.test('dashboard pages through the non-responders', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`Chromium is not installed at ${CHROMIUM}`);
    return;
  }
  const { db } = await freshDatabase(t);
  await addMembers(db, memberSpecs(230));
  const n = await raiseAlert(db, new Date(Date.now() - 60_000), { summary: 'Worm spreading over SMB, block port 445' });
  // After the alert, 130 more members, opted out of texts at different times: the opt-out list pages too.
  await addMembers(db, memberSpecs(130, 300));
  await sql`UPDATE members SET opted_out = true, opted_out_at = now() - id * interval '1 minute' WHERE phone >= '+447700900300'`.execute(db);
  const app = await adminApp(db);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const apiPage = async (offset: number) =>
    (await app.inject({ url: `/api/alerts/${n}/recipients?state=unacknowledged&limit=100&offset=${offset}`, headers: bearer })).json<{ recipients: { memberId: number }[] }>().recipients.map((r) => String(r.memberId));

  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
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
  const shown = () => page.$$eval('#nonresponders-body tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.member ?? ''));
  const firstRowIs = (id: string) => page.waitForFunction((id) => document.querySelector('#nonresponders-body tr')?.getAttribute('data-member') === id, id, { timeout: 15_000 });

  await page.goto(`${base}/dashboard`);
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#nonresponders-pages:not([hidden])');
  t.equal(await page.textContent('#nonresponders-title'), 'Not acknowledged (230)', 'the title counts every page');
  t.same(await shown(), await apiPage(0), 'page 1: the API\'s first 100');
  t.equal(await page.textContent('#nonresponders-more'), 'Showing 1 to 100 of 230.');
  t.notOk(await page.isVisible('#nonresponders-prev'), 'no Previous on the first page');
  t.match(await page.textContent('#nonresponders-next'), /Next\s+page\s*:\s*101 to 200/);
  t.equal(await page.getAttribute('#nonresponders-pages', 'aria-label'), 'Pages of recipients who have not acknowledged');

  const page2 = await apiPage(100);
  await page.click('#nonresponders-next');
  await firstRowIs(page2[0]!);
  t.same(await shown(), page2, 'page 2: the next 100');
  t.equal(await page.textContent('#nonresponders-more'), 'Showing 101 to 200 of 230.');
  t.match(await page.textContent('#nonresponders-prev'), /Previous\s+page\s*:\s*1 to 100/);
  await checkAccessibility(t, page, 'dashboard, paged non-responders');

  const page3 = await apiPage(200);
  await page.click('#nonresponders-next');
  await firstRowIs(page3[0]!);
  t.same(await shown(), page3, 'page 3: the last 30');
  t.equal(page3.length, 30);
  t.notOk(await page.isVisible('#nonresponders-next'), 'no Next on the last page');
  t.equal(await page.textContent('#nonresponders-more'), 'Showing 201 to 230 of 230.');

  // Everyone on the last page acknowledges: the table moves back to the last page there is.
  await sql`UPDATE deliveries SET acked_at = now() WHERE alert_number = ${n} AND member_id = ANY(${page3.map(Number)}::int[])`.execute(db);
  await page.waitForFunction(() => document.querySelector('#nonresponders-title')?.textContent === 'Not acknowledged (200)', null, { timeout: 15_000 });
  await firstRowIs(page2[0]!);
  t.same(await shown(), page2, 'back to the last page: 101 to 200');
  t.notOk(await page.isVisible('#nonresponders-next'));

  await page.click('#nonresponders-prev');
  await firstRowIs((await apiPage(0))[0]!);
  t.same(await shown(), await apiPage(0), 'Previous goes back to page 1');

  // The members opted out of texts, most recent first, 100 a page, as GET /api/opt-outs pages them.
  const optOutPage = async (offset: number) =>
    (await app.inject({ url: `/api/opt-outs?limit=100&offset=${offset}`, headers: bearer })).json<{ members: { memberId: number }[] }>().members.map((m) => String(m.memberId));
  const optShown = () => page.$$eval('#optout-body tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.member ?? ''));
  t.equal(await page.textContent('#optout-title'), 'Opted out of alert texts (130)');
  t.same(await optShown(), await optOutPage(0), 'opt-outs page 1: the API\'s first 100');
  t.equal(await page.textContent('#optouts-more'), 'Showing 1 to 100 of 130.');
  t.notOk(await page.isVisible('#optouts-prev'));
  const o2 = await optOutPage(100);
  await page.click('#optouts-next');
  await page.waitForFunction((id) => document.querySelector('#optout-body tr')?.getAttribute('data-member') === id, o2[0]!, { timeout: 15_000 });
  t.same(await optShown(), o2, 'opt-outs page 2: the last 30');
  t.equal(o2.length, 30);
  t.notOk(await page.isVisible('#optouts-next'), 'no Next on the last page');
  t.match(await page.textContent('#optouts-prev'), /Previous\s+page\s*:\s*1 to 100/);
  await checkAccessibility(t, page, 'dashboard, paged opt-outs');
  t.same(problems, [], 'no script errors, warnings or blocked resources');
});
