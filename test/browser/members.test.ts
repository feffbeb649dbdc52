// The members page in headless Chromium: sign in with the admin token, filter and search, add a
// member (a missing name and a bad number are refused in place), change one, remove one only after
// the confirmation, and upload a CSV with a bad row and read the per-row report. axe-core finds no
// serious violation; nothing is wider than a 375 px screen. Screenshots: docs/screenshots/.
import t from 'tap';
import { freshDatabase } from '../helpers/db.js';
import { addMembers, adminApp, ADMIN_TOKEN, memberSpecs } from '../helpers/alert-fixtures.js';
import { checkAccessibility, launch, pageWidth, screenshot } from '../helpers/browser.js';

const WAIT = { timeout: 20_000 };

t.test('members page in Chromium', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, [
    { name: 'Alex Admin', phone: '+447700900500', organisation: 'Northtown NHS Trust', role: 'admin' },
    ...memberSpecs(8),
    { name: 'Olive Out', phone: '+447700900900', organisation: 'Southtown ICB', optedOut: true },
  ]);
  const app = await adminApp(db);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const b = await launch(t);
  if (!b) return;
  const { page, problems } = b;
  const rows = page.locator('#members-body tr');
  const row = (name: string) => page.locator('#members-body tr', { hasText: name });
  const member = (name: string) => db.selectFrom('members').selectAll().where('name', '=', name).executeTakeFirst();

  await page.goto(`${base}/members`);
  t.ok(await page.isVisible('#token'), 'asks for the token');
  t.notMatch(await page.content(), /Olive|900900/, 'no data before the token');
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#signin button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#members-body tr').length === 10, null, WAIT);
  t.equal(await page.textContent('#count'), '10 members');
  t.match(await row('Olive Out').textContent(), /Opted out/, 'an opt-out is shown');
  t.match(await row('Alex Admin').textContent(), /Admin/, 'an admin is shown');
  t.equal(await row('Alex Admin').locator('a[href^="tel:"]').getAttribute('href'), 'tel:+447700900500');
  await checkAccessibility(t, page, 'members list');

  // Filters: opted out only, then a search by organisation.
  await page.selectOption('#filter-optout', 'true');
  await page.waitForFunction(() => document.querySelector('#count')?.textContent === '1 member', null, WAIT);
  t.equal(await rows.count(), 1, 'only the opted-out member');
  await page.selectOption('#filter-optout', '');
  await page.fill('#search', 'Trust 3');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#count')?.textContent === '1 member', null, WAIT);
  t.match(await rows.first().textContent(), /Member 3/, 'found by organisation');
  await page.fill('#search', '');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#members-body tr').length === 10, null, WAIT);

  // Add: the name is required; a bad number is refused by the API and shown on its field.
  await page.click('#add');
  await page.click('#save');
  t.match(await page.textContent('#f-name-error'), /Enter the member's full name/);
  await page.fill('#f-name', 'Nia Newcomer');
  await page.fill('#f-phone', '12345');
  await page.fill('#f-org', 'Eastshire CSU');
  await page.click('#save');
  await page.waitForSelector('#f-phone-error:not([hidden])', WAIT);
  t.ok((await page.textContent('#f-phone-error'))!.length > 10, 'the bad number is explained on its field');
  t.equal(await member('Nia Newcomer'), undefined, 'nothing saved');
  t.same(problems.filter((p) => !/status of 400/.test(p)), [], 'only the refused request so far');
  problems.length = 0;
  await page.fill('#f-phone', '07700 900777');
  await page.click('#save');
  await page.waitForSelector('#editor[hidden]', { state: 'attached', ...WAIT });
  await row('Nia Newcomer').waitFor(WAIT);
  t.match(await page.textContent('#notice-text'), 'Nia Newcomer added.');
  const added = await member('Nia Newcomer');
  t.equal(added?.phone, '+447700900777', 'stored in E.164');
  t.equal(added?.organisation, 'Eastshire CSU');

  // Change.
  await row('Nia Newcomer').getByRole('button', { name: 'Change Nia Newcomer' }).click();
  t.equal(await page.inputValue('#f-phone'), '07700 900777', 'the form holds the member');
  await page.fill('#f-org', 'Westshire CSU');
  await page.selectOption('#f-role', 'admin');
  await page.click('#save');
  await page.waitForFunction(() => /Westshire CSU/.test(document.querySelector('#members-body')?.textContent ?? ''), null, WAIT);
  const changed = await member('Nia Newcomer');
  t.equal(changed?.organisation, 'Westshire CSU');
  t.equal(changed?.role, 'admin');

  // Remove, only after the confirmation.
  await row('Member 5').getByRole('button', { name: 'Remove Member 5' }).click();
  t.ok(await page.isVisible('#confirm-delete'), 'asks first');
  t.match(await page.textContent('#confirm-delete-title'), 'Remove Member 5?');
  await screenshot(page, 'members-remove');
  await page.click('#confirm-delete-no');
  t.ok(await member('Member 5'), 'kept when the admin says no');
  await row('Member 5').getByRole('button', { name: 'Remove Member 5' }).click();
  await page.click('#confirm-delete-yes');
  await page.waitForFunction(() => !/Member 5/.test(document.querySelector('#members-body')?.textContent ?? ''), null, WAIT);
  t.equal(await member('Member 5'), undefined, 'removed after yes');
  t.match(await page.textContent('#notice-text'), 'Member 5 removed.');

  // CSV upload with a bad row: the good rows are saved, the bad one is reported with its line.
  const csv = [
    'name,phone,email,organisation,role',
    'Uma Upload,07700 900801,uma@example.org,Northtown NHS Trust,member',
    'Bad Number,not a phone,,Nowhere,member',
    'Olive Out,07700 900900,,Southtown ICB,member',
  ].join('\r\n');
  await page.setInputFiles('#upload-file', { name: 'members.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('#upload');
  await page.waitForSelector('#report:not([hidden])', WAIT);
  const count = (k: string) => page.textContent(`#report-counts [data-count="${k}"] .bs-count__value`);
  t.equal(await count('added'), '1');
  t.equal(await count('unchanged'), '1');
  t.equal(await count('rejected'), '1');
  t.equal(await page.locator('#report-body tr').count(), 1, 'one rejected row listed');
  t.match(await page.textContent('#report-body tr[data-row="3"]'), /3.*phone/i, 'line 3, with the reason');
  t.ok(await member('Uma Upload'), 'the good row was saved');
  await row('Uma Upload').waitFor(WAIT);
  await checkAccessibility(t, page, 'members with an upload report');
  await screenshot(page, 'members', true);

  // A phone screen.
  await page.setViewportSize({ width: 375, height: 812 });
  const width = await pageWidth(page);
  t.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
  await checkAccessibility(t, page, 'members at 375 px');
  await screenshot(page, 'members-375', true);

  t.same(problems, [], 'no script errors, warnings or blocked resources');
});
