// Raise, UPDATE and ALLCLEAR from the dashboard in headless Chromium, with the phone simulator and
// the real dispatcher: the threshold question must be answered, the preview shows the exact text
// and its reach, nothing goes before Send, and the simulated phones then receive it. The alert is
// recorded as raised from the dashboard (source admin) by the admin chosen. Exercise mode is
// respected. axe-core finds no serious violation; nothing is wider than a 375 px screen.
import t from 'tap';
import { freshDatabase } from '../helpers/db.js';
import { buildApp } from '../../src/app.js';
import type { AppDeps } from '../../src/deps.js';
import { loadConfig } from '../../src/config.js';
import { createPhoneSimulator } from '../../src/providers/simulator/simulator.js';
import { startWorkers } from '../../src/workers.js';
import { checkAccessibility, launch, pageWidth, screenshot } from '../helpers/browser.js';

const TOKEN = 'browser-actions-admin-token';
const A = '+447700900001';
const B = '+447700900002';
const C = '+447700900003';
const WAIT = { timeout: 20_000 };

t.test('raise, update and all clear from the dashboard', async (t) => {
  const { db } = await freshDatabase(t);
  const [alex] = await db
    .insertInto('members')
    .values([
      { name: 'Alex Morgan', phone: A, organisation: 'Northtown NHS Trust', role: 'admin' },
      { name: 'Bea Patel', phone: B, organisation: 'Southtown ICB' },
      { name: 'Cal Jones', phone: C, organisation: 'Westshire CSU' },
    ])
    .returning('id')
    .execute();
  const config = loadConfig({ ADMIN_TOKEN: TOKEN, VONAGE_SIGNATURE_SECRET: 'browser-test-webhook-secret', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' });
  const simulator = createPhoneSimulator(db);
  const deps: AppDeps = { config, db, clock: () => new Date(), adminTokens: [TOKEN], simulator };
  const app = await buildApp(deps);
  const workers = startWorkers(deps, app.log);
  t.teardown(async () => {
    await app.close();
    await workers.stop();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  /** Waits until a phone has received a text matching the pattern. */
  const received = async (phone: string, pattern: RegExp) => {
    for (let i = 0; i < 200; i++) {
      const texts = (await simulator.messages([phone], '0', 100)).filter((m) => m.direction === 'out').map((m) => m.text);
      const hit = texts.find((x) => pattern.test(x));
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  };
  const outboxCount = async () => Number((await db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  const b = await launch(t);
  if (!b) return;
  const { page, problems } = b;
  await page.goto(`${base}/dashboard#token=${TOKEN}`);
  await page.waitForSelector('#board:not([hidden])', WAIT);

  // Raise: the threshold question must be answered; "No" raises nothing.
  await page.click('#raise-open');
  await page.waitForSelector('#act-admin option', { state: 'attached', ...WAIT });
  t.match(await page.textContent('#act-admin'), 'Alex Morgan (Northtown NHS Trust)', 'admins to act as');
  await page.fill('#act-summary', 'Ransomware spreading over SMB at Northtown. Block port 445 at the boundary');
  await page.click('#act-preview');
  await page.waitForSelector('#act-problem:not([hidden])', WAIT);
  t.match(await page.textContent('#act-problem-text'), /threshold question/);
  await page.check('#act-threshold-no');
  await page.click('#act-preview');
  await page.waitForFunction(() => /forum|not raised|threshold/i.test(document.querySelector('#act-problem-text')?.textContent ?? ''), null, WAIT);
  t.same(problems.filter((p) => !/status of 400/.test(p)), [], 'only the refused preview so far');
  problems.length = 0;

  await page.check('#act-threshold-yes');
  const before = await outboxCount();
  await page.click('#act-preview');
  await page.waitForSelector('#act-confirm:not([hidden])', WAIT);
  const previewText = (await page.textContent('#act-text-preview')) ?? '';
  t.match(previewText, /^BATSIGNAL #1 from Alex Morgan \(Northtown NHS Trust\): Ransomware spreading over SMB.*Reply ACK 1 to confirm\.$/, 'the exact text');
  t.match(await page.textContent('#act-reach'), 'Alert #1 will be texted to 2 members.', 'and its reach');
  t.equal(await page.textContent('#act-send'), 'Send alert to 2 members');
  t.equal(await outboxCount(), before, 'nothing queued by the preview');
  t.equal(await db.selectFrom('alerts').selectAll().executeTakeFirst(), undefined, 'no alert before Send');
  await checkAccessibility(t, page, 'raise preview');
  await screenshot(page, 'dashboard-raise-preview', true);

  await page.click('#act-send');
  await page.waitForSelector('#notice:not([hidden])', WAIT);
  t.match(await page.textContent('#notice-text'), /Alert #1 sent to 2 members/);
  const bText = await received(B, /^BATSIGNAL #1 /);
  t.equal(bText, previewText, "B's phone got exactly the previewed text");
  t.ok(await received(C, /^BATSIGNAL #1 /), 'C received it');
  t.equal(await received(A, /^BATSIGNAL #1 /), undefined, 'the raiser is not sent its own alert');
  const alert = await db.selectFrom('alerts').selectAll().where('number', '=', 1).executeTakeFirstOrThrow();
  t.equal(alert.source, 'admin', 'recorded as raised from the dashboard');
  t.equal(alert.raised_by, alex!.id, 'by the admin chosen');
  await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent === 'Alert #1', null, WAIT);
  t.match(await page.textContent('#detail-meta'), 'by an admin');

  // UPDATE.
  await page.click('#update-open');
  await page.fill('#act-text', 'Patch MS17-010 on every Windows host today');
  await page.click('#act-preview');
  await page.waitForSelector('#act-confirm:not([hidden])', WAIT);
  t.match(await page.textContent('#act-text-preview'), /^BATSIGNAL #1 UPDATE from Alex Morgan \(Northtown NHS Trust\): Patch MS17-010/);
  t.match(await page.textContent('#act-reach'), 'texted to 2 members who received alert #1');
  await page.click('#act-send');
  await page.waitForFunction(() => /update/i.test(document.querySelector('#notice-text')?.textContent ?? ''), null, WAIT);
  t.ok(await received(B, /^BATSIGNAL #1 UPDATE from Alex Morgan/), 'B received the update');

  // ALLCLEAR closes the alert; the follow-up buttons go.
  await page.click('#allclear-open');
  await page.click('#act-preview');
  await page.waitForSelector('#act-confirm:not([hidden])', WAIT);
  t.match(await page.textContent('#act-text-preview'), /^BATSIGNAL #1 ALL CLEAR from Alex Morgan/);
  await page.click('#act-send');
  await page.waitForFunction(() => /Closed/.test(document.querySelector('#detail-tags')?.textContent ?? ''), null, WAIT);
  t.ok(await received(C, /^BATSIGNAL #1 ALL CLEAR/), 'C received the all clear');
  t.equal((await db.selectFrom('alerts').select('status').where('number', '=', 1).executeTakeFirstOrThrow()).status, 'closed');
  t.ok(await page.isHidden('#followups'), 'no follow-up buttons on a closed alert');

  // Exercise mode: every raise is an exercise, and the preview says so.
  const ex = await fetch(`${base}/api/exercise`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"on":true}' });
  t.equal(ex.status, 200);
  await page.click('#raise-open');
  await page.check('#act-threshold-yes');
  await page.fill('#act-summary', 'Tabletop: phishing wave against payroll');
  await page.click('#act-preview');
  await page.waitForSelector('#act-confirm:not([hidden])', WAIT);
  t.match(await page.textContent('#act-text-preview'), /^EXERCISE BATSIGNAL #2 .*THIS IS AN EXERCISE\.$/, 'exercise mode is respected');
  t.match(await page.textContent('#act-reach'), 'marked as an EXERCISE');
  await page.setViewportSize({ width: 375, height: 812 });
  const width = await pageWidth(page);
  t.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
  await checkAccessibility(t, page, 'exercise preview at 375 px');
  await screenshot(page, 'dashboard-raise-375', true);
  await page.click('#act-send');
  await page.waitForSelector('#notice:not([hidden])', WAIT);
  t.match(await page.textContent('#notice-text'), /EXERCISE|Alert #2/);
  t.equal((await db.selectFrom('alerts').select('exercise').where('number', '=', 2).executeTakeFirstOrThrow()).exercise, true);

  t.same(problems, [], 'no script errors, warnings or blocked resources');
});
