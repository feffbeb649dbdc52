// Signing in with a texted code, in headless Chromium: an admin enters their number on the
// dashboard, reads the code from their phone (the outbox row the text goes out as), enters it and
// sees the alerts; a wrong code is refused in place; a change made from the members page is in the
// audit log against their name; signing out ends the session on the server. At desktop and 375 px,
// axe-core with no serious violation. Screenshots: docs/screenshots/.
import t from 'tap';
import { freshDatabase } from '../helpers/db.js';
import { addMembers, adminApp, bearer, memberSpecs } from '../helpers/alert-fixtures.js';
import { checkAccessibility, launch, pageWidth, screenshot } from '../helpers/browser.js';

const WAIT = { timeout: 20_000 };

for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 812 }]) {
  t.test(`sign in with a texted code in Chromium at ${viewport.width} px`, async (t) => {
    const { db } = await freshDatabase(t);
    await addMembers(db, [{ name: 'Alex Admin', phone: '+447700900500', organisation: 'Northtown NHS Trust', role: 'admin' }, ...memberSpecs(3)]);
    const app = await adminApp(db);
    await app.listen({ host: '127.0.0.1', port: 0 });
    t.teardown(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const b = await launch(t, viewport);
    if (!b) return;
    const { page, problems } = b;
    const codeTexted = async () => {
      const r = await db.selectFrom('outbox').select('body').where('recipient', '=', '+447700900500').where('body', 'like', 'Batsignal sign-in code:%').orderBy('id', 'desc').executeTakeFirst();
      return /code: (\d{6})\./.exec(r?.body ?? '')?.[1];
    };

    await page.goto(`${base}/dashboard`);
    t.ok(await page.isVisible('#signin-phone'), 'the sign-in asks for a mobile number');
    await page.click('#signin-send-code');
    t.match(await page.textContent('#signin-phone-error'), /Enter your mobile number/, 'an empty number is refused in place');
    await page.fill('#signin-phone', '07700 900500');
    await page.click('#signin-send-code');
    await page.waitForSelector('#signin-code-step:not([hidden])', WAIT);
    t.match(await page.textContent('#signin-code-sent'), /If that number belongs to an admin, a sign-in code is on its way/);
    const code = await codeTexted();
    t.ok(code, 'the code was texted to the admin');
    await checkAccessibility(t, page, `sign-in, code step, ${viewport.width} px`);
    await screenshot(page, `signin-code-${viewport.width}`, true);
    t.ok((await pageWidth(page)) <= viewport.width, 'nothing wider than the screen');

    await page.fill('#signin-code', code === '000000' ? '000001' : '000000');
    await page.click('#signin-with-code');
    await page.waitForSelector('#signin-code-error:not([hidden])', WAIT);
    t.match(await page.textContent('#signin-code-error'), /wrong or has expired/, 'a wrong code is refused in place');
    await page.fill('#signin-code', code!);
    await page.press('#signin-code', 'Enter');
    await page.waitForSelector('#board:not([hidden])', WAIT);
    t.ok(await page.isHidden('#signin'), 'signed in: the alerts are shown');
    const token = await page.evaluate(() => sessionStorage.getItem('batsignal.adminToken'));
    t.ok(token && token.length === 43, 'the tab holds a session token of its own, not the admin token');

    // A change from the members page (same tab, same session) is audited against the admin.
    await page.goto(`${base}/members`);
    await page.waitForFunction(() => document.querySelectorAll('#members-body tr').length === 4, null, WAIT);
    const sessions = await app.inject({ method: 'GET', url: '/api/sessions', headers: bearer });
    t.same(sessions.json().sessions.map((s: { name: string }) => s.name), ['Alex Admin'], 'one live session, Alex\'s');
    const changed = await page.evaluate(async (t) => {
      const r = await fetch('/api/exercise', { method: 'POST', headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ on: true }) });
      return r.status;
    }, token);
    t.equal(changed, 200);
    const audit = await app.inject({ method: 'GET', url: '/api/audit', headers: bearer });
    t.match(audit.json().entries[0], { actor: 'Alex Admin', action: 'POST /api/exercise' }, 'the change is in the audit log with the admin\'s name');

    await page.click('#signout');
    await page.waitForSelector('#signin:not([hidden])', WAIT);
    // The sign-out request is sent as the page forgets the token: give it a moment to land.
    const status = async () => (await app.inject({ method: 'GET', url: '/api/members', headers: { authorization: `Bearer ${token}` } })).statusCode;
    for (let i = 0; i < 50 && (await status()) !== 401; i++) await new Promise((r) => setTimeout(r, 100));
    t.equal(await status(), 401, 'signing out ended the session on the server');
    // The wrong code's 401 is logged by Chromium as a failed resource; anything else is a fault.
    t.same(problems.filter((p) => !/status of 401/.test(p)), [], 'no other console errors (CSP included)');
    t.equal(problems.filter((p) => /status of 401/.test(p)).length, 1, 'exactly the one refused code');
  });
}
