// The five-minute demo in headless Chromium: the service listens with the phone simulator and the
// real dispatcher; member A (an admin) raises an alert by typing into A's simulated phone, confirms
// with the code shown on A's phone, B and C receive the alert, B acknowledges, and the dashboard
// shows 1 of 2 acknowledged. Screenshots go to test-artifacts/ (UPDATE_DEMO_SCREENSHOT=1 also
// refreshes docs/demo.png, the README's picture).
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Locator } from 'playwright-core';
import { freshDatabase } from '../helpers/db.js';
import { checkAccessibility, screenshot } from '../helpers/browser.js';
import { buildApp } from '../../src/app.js';
import type { AppDeps } from '../../src/deps.js';
import { loadConfig } from '../../src/config.js';
import { createPhoneSimulator } from '../../src/providers/simulator/simulator.js';
import { startWorkers } from '../../src/workers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const ARTIFACTS = path.resolve('test-artifacts');
const TOKEN = 'browser-simulator-admin-token';
const A = '+447700900001';
const B = '+447700900002';
const C = '+447700900003';
const WAIT = { timeout: 20_000 };

t.test('the demo walkthrough in Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`Chromium is not installed at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) to run the browser test`);
    return;
  }
  const { db } = await freshDatabase(t);
  await db
    .insertInto('members')
    .values([
      { name: 'Alex Morgan', phone: A, organisation: 'Northtown NHS Trust', role: 'admin' },
      { name: 'Bea Patel', phone: B, organisation: 'Southtown ICB' },
      { name: 'Cal Jones', phone: C, organisation: 'Westshire CSU' },
    ])
    .execute();

  const config = loadConfig({ ADMIN_TOKEN: TOKEN, VONAGE_SIGNATURE_SECRET: 'browser-test-webhook-secret', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' });
  const deps: AppDeps = { config, db, clock: () => new Date(), adminTokens: [TOKEN], simulator: createPhoneSimulator(db) };
  const app = await buildApp(deps);
  const workers = startWorkers(deps, app.log);
  t.teardown(async () => {
    await app.close();
    await workers.stop();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1000, height: 1000 },
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

  const phone = (number: string) => page.locator(`section[data-phone="${number}"]`);
  /** Types into a phone and waits for the text to show as sent. */
  const send = async (p: Locator, text: string) => {
    const before = await p.locator('.sim-msg--from-phone').count();
    await p.locator('textarea').fill(text);
    await p.getByRole('button', { name: 'Send' }).click();
    await p.locator('.sim-msg--from-phone').nth(before).waitFor(WAIT);
  };
  /** Waits until a text from Batsignal on this phone matches. */
  const expectText = async (p: Locator, pattern: RegExp, what: string) => {
    const msg = p.locator('.sim-msg--from-batsignal .sim-msg__text', { hasText: pattern }).last();
    await msg.waitFor(WAIT);
    const text = (await msg.textContent()) ?? '';
    t.match(text, pattern, what);
    return text;
  };

  // Step 1: the link printed at start-up signs the page in from its #token= fragment.
  await page.goto(`${base}/simulator#token=${TOKEN}`);
  await phone(C).waitFor(WAIT);
  t.match(await page.textContent('.sim-banner'), 'Phone simulator — no real texts are sent', 'labelled as a simulator');
  t.equal(new URL(page.url()).hash, '', 'the token left the address bar');
  t.equal(await page.locator('section[data-phone]').count(), 3, "three members' phones side by side");

  // Step 2: A raises by text.
  await send(phone(A), 'RAISE');
  await expectText(phone(A), /Reply YES or NO/, 'A is asked the threshold question');
  await send(phone(A), 'YES');
  await expectText(phone(A), /Describe the incident/, 'A is asked for a description');
  await send(phone(A), 'Ransomware spreading from ward PCs over SMB at Northtown. Look for .locked files; isolate and block port 445.');
  const confirm = await expectText(phone(A), /CONFIRM \d{6}/, 'A is shown the alert and a one-time code');
  t.match(confirm, /to 2 members/, 'it will reach B and C');

  // Step 3: A confirms with the code shown on A's phone.
  const code = /CONFIRM (\d{6})/.exec(confirm)![1];
  await send(phone(A), `CONFIRM ${code}`);
  await expectText(phone(A), /Alert #1 sent to 2 members/, 'A is told the alert went out');

  // Step 4: B and C receive it; B acknowledges.
  await expectText(phone(B), /^BATSIGNAL #1 from Alex Morgan \(Northtown NHS Trust\): Ransomware.*Reply ACK 1/, 'B receives the alert');
  await expectText(phone(C), /^BATSIGNAL #1 from Alex Morgan/, 'C receives the alert');
  t.equal(await phone(A).locator('.sim-msg__text', { hasText: /^BATSIGNAL #1/ }).count(), 0, 'the raiser is not sent its own alert');
  await send(phone(B), 'ACK 1');
  await expectText(phone(B), /^Acknowledged #1/, 'B is thanked for the acknowledgement');
  t.equal(await page.locator('.sim-msg__error').count(), 0, 'every text was accepted by the webhook');

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, 'simulator.png');
  await page.screenshot({ path: shot, fullPage: true });
  if (process.env.UPDATE_DEMO_SCREENSHOT === '1') copyFileSync(shot, path.resolve('docs', 'demo.png'));
  await checkAccessibility(t, page, 'simulator');
  await screenshot(page, 'simulator', true);

  // Step 5: the dashboard (same tab, same token) shows 1 of 2 acknowledged.
  await page.getByRole('link', { name: 'Open the dashboard' }).click();
  await page.waitForFunction(() => /Acknowledged\s*1 of 2/.test(document.querySelector('#alerts-body tr[data-alert="1"]')?.textContent ?? ''), null, WAIT);
  t.match(await page.textContent('#alerts-body tr[data-alert="1"]'), /Acknowledged\s*1 of 2/, 'the dashboard shows 1 of 2 acknowledged');
  // The simulator posts a 'delivered' receipt for each text to the real status webhook.
  const delivered = '[data-count="delivered"] .bs-count__value';
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '2', delivered, WAIT);
  t.equal(await page.textContent(delivered), '2', 'both texts reported delivered through the status webhook');
  await page.screenshot({ path: path.join(ARTIFACTS, 'simulator-dashboard.png'), fullPage: true });

  // A phone screen: the simulator fits 375 px with nothing wider than the screen.
  await page.goto(`${base}/simulator`);
  await phone(A).waitFor(WAIT);
  await page.setViewportSize({ width: 375, height: 812 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  t.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
  await checkAccessibility(t, page, 'simulator at 375 px');
  await screenshot(page, 'simulator-375', true);

  t.same(problems, [], 'no script errors, warnings or blocked resources');
});

