// A national advisory from the dashboard in headless Chromium, with the phone simulator and the real
// dispatcher: refusals are shown plainly (empty target, unknown ODS code); Preview lists the
// organisations it reaches and through which contacts, flags estate unknown and the unreachable,
// and sends nothing; Send issues exactly that, and the contacts' phones receive the texts (a CSU
// contact answering for four practices gets one text saying so). Then the responses view follows
// the answers texted back: responded on time %, affected, not affected, need help, unreachable,
// and who to chase with their numbers. Desktop and 375 px, axe-core on each step.
// Screenshots: docs/screenshots/dashboard-advisory-*.png.
import t from 'tap';
import path from 'node:path';
import { sql } from 'kysely';
import type { Locator } from 'playwright-core';
import { freshDatabase } from '../helpers/db.js';
import { buildApp } from '../../src/app.js';
import type { AppDeps } from '../../src/deps.js';
import { loadConfig } from '../../src/config.js';
import { createPhoneSimulator } from '../../src/providers/simulator/simulator.js';
import { startWorkers } from '../../src/workers.js';
import { importOrganisations } from '../../src/directory/org-import.js';
import { SAMPLE_ORGANISATIONS_CSV } from '../../src/directory/org-sample.js';
import { addContacts } from '../helpers/advisory-fixtures.js';
import { checkAccessibility, DOC_SHOTS, launch, pageWidth, screenshot } from '../helpers/browser.js';

const TOKEN = 'browser-advisories-admin-token';
const WAIT = { timeout: 20_000 };
const ALEX = '+447700900101'; // RZN primary (admin)
const BEN = '+447700900103'; // RZS primary
const JO = '+447700900105'; // RZE primary
const TOM = '+447700900107'; // 0ZC (the CSU running four practices' IT) primary
const ADE = '+447700900108'; // Z91002 primary
const SAM = '+447700900109'; // QZA (the ICB: not targeted)

t.test('advisory: form, preview, send, responses', async (t) => {
  const { db } = await freshDatabase(t);
  t.equal((await importOrganisations(db, SAMPLE_ORGANISATIONS_CSV, new Date())).rejected, 0, 'sample directory loaded');
  await addContacts(db, [
    { name: 'Alex Morgan', odsCode: 'RZN', role: 'primary', phone: ALEX, admin: true },
    { name: 'Priya Shah', odsCode: 'RZN', role: 'deputy', phone: '+447700900102' },
    { name: 'Ben Carter', odsCode: 'RZS', role: 'primary', phone: BEN },
    { name: 'Jo Williams', odsCode: 'RZE', role: 'primary', phone: JO },
    { name: 'Tom Evans', odsCode: '0ZC', role: 'primary', phone: TOM },
    { name: 'Ade Bello', odsCode: 'Z91002', role: 'primary', phone: ADE },
    { name: 'Sam Patel', odsCode: 'QZA', role: 'primary', phone: SAM },
    // Westbury (RZW) has nobody: unreachable.
  ]);
  await sql`UPDATE members m SET organisation = o.name FROM organisations o WHERE o.ods_code = m.ods_code`.execute(db);

  const config = loadConfig({ ADMIN_TOKEN: TOKEN, VONAGE_SIGNATURE_SECRET: 'browser-test-webhook-secret', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' });
  const simulator = createPhoneSimulator(db);
  let skew = 0; // moved past the deadline at the end
  const deps: AppDeps = { config, db, clock: () => new Date(Date.now() + skew), adminTokens: [TOKEN], simulator };
  const app = await buildApp(deps);
  const workers = startWorkers(deps, app.log);
  t.teardown(async () => {
    await app.close();
    await workers.stop();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const texts = async (phone: string) => (await simulator.messages([phone], '0', 100)).filter((m) => m.direction === 'out').map((m) => m.text);
  /** Waits until a phone has received a text matching the pattern. */
  const received = async (phone: string, pattern: RegExp) => {
    for (let i = 0; i < 200; i++) {
      const hit = (await texts(phone)).find((x) => pattern.test(x));
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  };
  /** A text typed on a member's phone in the simulator (through the real inbound webhook). */
  const reply = async (phone: string, text: string) => {
    const res = await fetch(`${base}/api/simulator/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phone, text }),
    });
    t.equal(res.status, 200, `"${text}" from ${phone}`);
  };
  const outboxCount = async () => Number((await db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const element = async (l: Locator, name: string) => l.screenshot({ path: path.join(DOC_SHOTS, `${name}.png`) });

  const b = await launch(t);
  if (!b) return;
  const { page, problems } = b;
  const blur = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.goto(`${base}/dashboard#token=${TOKEN}`);
  await page.waitForSelector('#board:not([hidden])', WAIT);

  // Refusals, in plain words: nothing filled in, then an unknown ODS code.
  await page.click('#adv-open');
  t.ok(await page.isVisible('#adv-form'), 'the advisory form');
  await page.click('#adv-preview');
  await page.waitForSelector('#adv-problem:not([hidden])', WAIT);
  const refusals = (await page.locator('#adv-problem-list li').allTextContents()).join('\n');
  t.match(refusals, 'Enter a title.');
  t.match(refusals, 'Enter the details');
  t.match(refusals, 'Choose a severity');
  t.match(refusals, /Choose who it goes to.*An advisory to nobody is refused\./, 'an empty target is refused');
  await checkAccessibility(t, page, 'advisory refusals');

  await page.fill('#adv-title', 'Windows SMBv3 wormable flaw (CVE-2020-0796): patch now');
  await page.fill('#adv-body', 'Microsoft has released KB4551762 for SMBv3 compression. Patch every Windows 10 and 11 host; until then disable SMBv3 compression and block TCP 445 at the boundary.');
  await page.check('#adv-severity-high');
  await page.fill('#adv-ods', 'ZZZ99');
  await page.click('#adv-preview');
  await page.waitForFunction(() => /ZZZ99/.test(document.querySelector('#adv-problem-list')?.textContent ?? ''), null, WAIT);
  t.match(await page.textContent('#adv-problem-list'), 'Not in the organisation directory: ZZZ99. Check the ODS codes.', 'an unknown ODS code is named');
  t.same(problems.filter((p) => !/status of 400/.test(p)), [], 'only the refused previews so far');
  problems.length = 0;

  // Trusts and GP practices running Windows 10 or 11 (or whose estate is unknown).
  await page.fill('#adv-ods', '');
  await page.check('#adv-type-trust');
  await page.check('#adv-type-gp_practice');
  await page.fill('#adv-products', 'Windows 10, Windows 11');
  await blur();
  await element(page.locator('#advisory'), 'dashboard-advisory-form');
  const before = await outboxCount();
  await page.click('#adv-preview');
  await page.waitForSelector('#adv-confirm:not([hidden])', WAIT);
  t.ok(await page.isHidden('#adv-problem'), 'no problem left');
  const previewCount = (key: string) => page.textContent(`[data-adv-preview="${key}"] .bs-count__value`);
  t.equal(await previewCount('targeted'), '8', 'four trusts and four practices');
  t.equal(await previewCount('reachable'), '7');
  t.equal(await previewCount('unreachable'), '1');
  t.equal(await previewCount('estateUnknown'), '2', 'Westbury and Canal Street list no products');
  t.equal(await previewCount('recipients'), '5', 'Alex, Ben, Jo, Tom, Ade');
  t.match(await page.textContent('#adv-reach'), /It would reach 7 organisations through 5 contacts .*respond by/);
  t.match(await page.textContent('#adv-unreachable'), /Westbury Mental Health NHS Foundation Trust \(RZW\)/, 'the unreachable organisation named');
  const z4 = page.locator('#adv-preview-body tr[data-ods="Z91004"]');
  t.match(await z4.textContent(), /Estate unknown/);
  t.match(await z4.textContent(), /Tom Evans, via IT support unit 0ZC/, 'a practice reached through its CSU');
  const z2 = (await page.textContent('#adv-preview-body tr[data-ods="Z91002"]')) ?? '';
  t.match(z2, /Ade Bello, direct/);
  t.match(z2, /Tom Evans, via IT support unit/, 'routing "both" (blank with a support unit): its own contact and the CSU');
  t.match(await page.textContent('#adv-preview-body tr[data-ods="RZW"]'), /Unreachable/);
  t.equal(await page.locator('#adv-preview-body tr[data-ods="QZA"]').count(), 0, 'the ICB is not targeted');
  t.equal(await page.textContent('#adv-send'), 'Send advisory to 5 contacts');
  t.equal(await outboxCount(), before, 'the preview queued nothing');
  t.equal(await db.selectFrom('advisories').selectAll().executeTakeFirst(), undefined, 'and issued nothing');
  await checkAccessibility(t, page, 'advisory preview');
  await blur();
  await element(page.locator('#advisory'), 'dashboard-advisory-preview');

  await page.setViewportSize({ width: 375, height: 812 });
  let width = await pageWidth(page);
  t.ok(width <= 375, `preview: no sideways scrolling at 375 px (page is ${width} px wide)`);
  await checkAccessibility(t, page, 'advisory preview at 375 px');
  await screenshot(page, 'dashboard-advisory-preview-375');
  await element(page.locator('#advisory'), 'dashboard-advisory-preview-375');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Send: exactly the previewed advisory; the phones receive it.
  await page.click('#adv-send');
  await page.waitForSelector('#notice:not([hidden])', WAIT);
  t.match(await page.textContent('#notice-text'), 'Advisory #1 sent: 5 texts to 5 contacts for 7 organisations. 1 organisation could not be reached.');
  const tomText = await received(TOM, /^NHS CYBER ADVISORY #1 \(HIGH\): /);
  t.match(tomText, /^NHS CYBER ADVISORY #1 \(HIGH\): Windows SMBv3 wormable flaw \(CVE-2020-0796\): patch now\. Respond by .*: reply ACK 1\. Details by email\. You answer for 4 organisations/, 'the CSU contact: one text for four practices');
  t.equal((await texts(TOM)).length, 1, 'one text only');
  for (const phone of [ALEX, BEN, JO, ADE]) t.match(await received(phone, /^NHS CYBER ADVISORY #1 /), /Respond by .*reply ACK 1\. Details by email\.$/, `${phone} received it`);
  t.same(await texts(SAM), [], 'the ICB contact (not targeted) got nothing');
  const issued = await db.selectFrom('advisories').select(['number', 'title', 'severity']).executeTakeFirstOrThrow();
  t.same(issued, { number: 1, title: 'Windows SMBv3 wormable flaw (CVE-2020-0796): patch now', severity: 'high' }, 'issued as previewed');

  // The responses view of advisory #1.
  await page.waitForSelector('#adv-view:not([hidden]) [data-adv-count="targeted"]', WAIT);
  const count = (key: string) => page.textContent(`[data-adv-count="${key}"] .bs-count__value`);
  t.equal(await count('targeted'), '8');
  t.equal(await count('onTimePercent'), '0%');
  t.equal(await count('unreachable'), '1');
  t.equal(await count('estateUnknown'), '2');
  t.ok(await page.isHidden('#orgs'), 'no peer coverage view for an advisory');
  t.match(await page.textContent('#adv-deadline'), /^High severity\. Responses due by /);

  await reply(BEN, 'ACK 1');
  await reply(JO, 'AFFECTED 1');
  await reply(TOM, 'NOT AFFECTED 1 Z91001');
  await reply(ALEX, 'NEED HELP 1 no patch window until Friday');
  await page.waitForFunction(() => document.querySelector('[data-adv-count="responded"] .bs-count__value')?.textContent === '4', null, WAIT);
  t.equal(await count('onTimePercent'), '50%', '4 of 8 on time');
  t.match(await page.textContent('[data-adv-count="onTimePercent"]'), 'Responded on time (4 of 8)');
  t.equal(await count('affected'), '1');
  t.equal(await count('notAffected'), '1');
  t.equal(await count('needHelp'), '1');
  t.equal(await count('overdue'), '0');
  t.equal(await count('resolved'), '0');
  // Who to chase: need help first, then no response, the unreachable last; each with numbers to call.
  t.same(await page.$$eval('#adv-chase-body tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.ods)), ['RZN', 'Z91002', 'Z91004', 'Z91003', 'RZW'], 'by name within each: Ancoats Lane, Canal Street, Hillview');
  t.match(await page.textContent('#adv-chase-title'), 'Who to chase (5)');
  t.same(
    await page.locator('#adv-chase-body tr[data-ods="Z91002"] a[href^="tel:"]').evaluateAll((as) => as.map((a) => a.getAttribute('href'))).then((h) => h.sort()),
    [`tel:${TOM}`, `tel:${ADE}`],
    "Ade Bello and the CSU's Tom Evans to call for Ancoats Lane",
  );
  t.match(await page.textContent('#adv-chase-body tr[data-ods="RZW"]'), /Unreachable.*No contact for this advisory/);
  t.match(await page.textContent('#adv-all-body tr[data-ods="Z91001"]'), /Not affected.*on time.*Tom Evans/);
  await checkAccessibility(t, page, 'advisory responses');
  await blur();
  await screenshot(page, 'dashboard-advisory-responses');
  await element(page.locator('#adv-view'), 'dashboard-advisory-responses');

  await page.setViewportSize({ width: 375, height: 812 });
  width = await pageWidth(page);
  t.ok(width <= 375, `responses: no sideways scrolling at 375 px (page is ${width} px wide)`);
  const tel = page.locator(`#adv-chase-body tr[data-ods="Z91003"] a[href="tel:${TOM}"]`);
  const box = await tel.boundingBox();
  t.ok(box && box.x >= 0 && box.x + box.width <= 375, 'the number to call is on screen');
  await checkAccessibility(t, page, 'advisory responses at 375 px');
  await screenshot(page, 'dashboard-advisory-responses-375');
  await element(page.locator('#adv-view'), 'dashboard-advisory-responses-375');

  // Past the 48-hour deadline: the organisations still silent are overdue, and say so.
  skew = 49 * 3600_000;
  await page.waitForFunction(() => document.querySelector('[data-adv-count="overdue"] .bs-count__value')?.textContent === '4', null, WAIT);
  t.equal(await count('overdue'), '4', 'Ancoats Lane, Canal Street, Hillview and (unreachable) Westbury');
  t.equal(await count('onTimePercent'), '50%', 'on time unchanged');
  t.match(await page.textContent('#adv-deadline'), /the deadline has passed/);
  t.same(await page.$$eval('#adv-chase-body tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.ods)), ['RZN', 'Z91002', 'Z91004', 'Z91003', 'RZW']);
  t.match(await page.textContent('#adv-chase-body tr[data-ods="Z91002"]'), /Overdue/);
  t.match(await page.textContent('#adv-all-body tr[data-ods="Z91003"]'), /No response.*Overdue/);

  t.same(problems, [], 'no script errors, warnings or blocked resources');
});
