// The dashboard's chart of an alert over time in headless Chromium: uPlot draws it (canvases present)
// under the page's strict CSP with no console error, the text alternative states the counts, an ACK
// arriving moves it without a reload, and it fits a 375 px screen. Screenshots: docs/screenshots/.
import t from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from '../helpers/db.js';
import { adminApp, ADMIN_TOKEN, ackBySql, markSent, raiseAlert } from '../helpers/alert-fixtures.js';
import { checkAccessibility, launch, pageWidth, screenshot } from '../helpers/browser.js';

const WAIT = { timeout: 20_000 };

t.test('alert chart in Chromium', async (t) => {
  const { db } = await freshDatabase(t);
  await db.insertInto('organisations').values(['RAA', 'RBB', 'RCC', 'RDD'].map((ods, i) => ({
    ods_code: ods, name: `Trust ${i}`, type: 'trust' as const, region: null, parent_ods_code: null, it_support_ods_code: null, routing: null, products: null,
  }))).execute();
  const orgs = ['RAA', 'RAA', 'RBB', 'RBB', 'RCC', 'RCC', 'RDD', 'RDD'];
  const ids = (await db.insertInto('members')
    .values(orgs.map((ods, i) => ({ name: `Member ${i}`, phone: `+447700900${String(i + 1).padStart(3, '0')}`, ods_code: ods, contact_role: 'primary' as const, organisation: `Trust ${ods}` })))
    .returning('id').execute()).map((r) => r.id);
  const start = Date.now() - 10 * 60_000;
  const at = (min: number) => new Date(start + min * 60_000);
  const n = await raiseAlert(db, at(0), { summary: 'Worm spreading over SMB; block port 445' });
  await markSent(db, n, at(0.5), { memberIds: ids.slice(0, 6), receipt: 'delivered' });
  await markSent(db, n, at(0.5), { memberIds: [ids[6]!], receipt: 'failed', error: 'absent subscriber' });
  await markSent(db, n, at(0.5), { memberIds: [ids[7]!] });
  await sql`UPDATE outbox SET receipt_at = ${at(1)} WHERE receipt_status = 'delivered' AND id IN (SELECT sms_outbox_id FROM deliveries WHERE member_id = ANY(${ids.slice(3, 6)}::int[]))`.execute(db);
  await ackBySql(db, n, ids[0]!, at(1.5));
  await ackBySql(db, n, ids[2]!, at(3));
  await ackBySql(db, n, ids[4]!, at(6));

  const app = await adminApp(db);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const b = await launch(t);
  if (!b) return;
  const { page, problems } = b;
  await page.goto(`${base}/dashboard#token=${ADMIN_TOKEN}`);
  await page.waitForSelector('#timeline-members canvas', WAIT);
  t.equal(await page.locator('#timeline-members canvas').count(), 1, 'uPlot drew the texts and acknowledgements chart');
  t.equal(await page.locator('#timeline-organisations canvas').count(), 1, 'and the organisations chart');
  const painted = await page.evaluate(() => {
    const c = document.querySelector('#timeline-members canvas');
    if (!(c instanceof HTMLCanvasElement)) return 0;
    const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
    let blue = 0; // the acknowledged line, NHS blue #005eb8
    for (let i = 0; i < px.length; i += 4) if (px[i] === 0 && px[i + 1] === 94 && px[i + 2] === 184) blue++;
    return blue;
  });
  t.ok(painted > 20, `the acknowledged line is drawn (${painted} blue pixels)`);
  t.equal(await page.getAttribute('#timeline', 'aria-hidden'), 'true', 'canvases hidden from screen readers');
  const said = await page.textContent('#timeline-summary');
  t.match(said, /8 texts sent to 8 recipients, 6 delivered, 1 failed, 3 of 8 acknowledged\. 3 of 4 organisations covered\./, 'the summary states the counts');
  const lastRow = await page.locator('#timeline-table tbody tr').last().locator('td').allTextContents();
  t.same(lastRow.slice(1), ['8', '6', '1', '3', '3'], 'the table ends with the totals');
  t.ok(await page.locator('#timeline-table tbody tr').count() >= 4, 'a row per change');
  t.match(await page.textContent('#timeline-table caption'), new RegExp(`Alert #${n} over time`));
  await checkAccessibility(t, page, 'dashboard with chart');
  await page.locator('#timeline-section').scrollIntoViewIfNeeded();
  await screenshot(page, 'dashboard-chart', true);

  // An ACK arrives: the chart follows on the dashboard's next refresh, same page.
  await page.evaluate(() => ((window as unknown as { bsMarker: number }).bsMarker = 7));
  await ackBySql(db, n, ids[6]!, new Date());
  await page.waitForFunction(() => /4 of 8 acknowledged\. 4 of 4 organisations covered/.test(document.querySelector('#timeline-summary')?.textContent ?? ''), null, WAIT);
  t.equal(await page.evaluate(() => (window as unknown as { bsMarker?: number }).bsMarker), 7, 'not reloaded');
  t.equal(await page.locator('#timeline canvas').count(), 2, 'still two charts (updated, not added)');

  // A phone: the charts take the screen's width, nothing sideways.
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForFunction(() => {
    const c = document.querySelector('#timeline-members .uplot');
    return c instanceof HTMLElement && c.getBoundingClientRect().width <= 375;
  }, null, WAIT);
  const w = await pageWidth(page);
  t.ok(w <= 375, `no sideways scrolling at 375 px (page is ${w} px wide)`);
  const chartWidth = await page.evaluate(() => document.querySelector('#timeline-members .uplot')?.getBoundingClientRect().width ?? 0);
  t.ok(chartWidth >= 240 && chartWidth <= 375, `the chart fits the phone (${chartWidth} px)`);
  await checkAccessibility(t, page, 'dashboard with chart at 375 px');
  await page.locator('#timeline-section').scrollIntoViewIfNeeded();
  await screenshot(page, 'dashboard-chart-375', true);

  t.same(problems, [], 'no script errors, warnings or CSP violations in the console');
});
