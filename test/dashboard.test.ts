// The dashboard shell: no data without the token, a strict CSP, and the NHS.UK assets it needs.
import t from 'tap';
import vm from 'node:vm';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, markSent, raiseAlert } from './helpers/alert-fixtures.js';
import { DASHBOARD_SCRIPT } from '../src/web/dashboard-client.js';
import { escapeHtml, page } from '../src/web/layout.js';

t.test('GET /dashboard is a shell with no data in it', async (t) => {
  const { db } = await freshDatabase(t);
  await addMembers(db, [{ name: 'Secret Sam', phone: '+447700900042', organisation: 'Hidden Trust' }]);
  const n = await raiseAlert(db, new Date(), { summary: 'Distinctive worm QQZX on port 445' });
  await markSent(db, n, new Date());
  const app = await adminApp(db);
  t.teardown(() => app.close());

  const res = await app.inject({ url: '/dashboard' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/);
  for (const secret of ['QQZX', 'Secret Sam', 'Hidden Trust', '900042', 'Jane Smith']) t.notMatch(res.body, secret, `no ${secret}`);
  t.match(res.body, '<link rel="stylesheet" href="/assets/nhsuk-frontend.min.css">');
  t.match(res.body, '<script src="/dashboard/dashboard.js" defer></script>');
  t.match(res.body, 'class="nhsuk-header"');
  t.match(res.body, 'name="viewport" content="width=device-width');
  t.notMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  t.notMatch(res.body, /\sstyle=|<style/, 'no inline style');
  t.notMatch(res.body, /\son[a-z]+=/, 'no inline event handlers');

  const csp = String(res.headers['content-security-policy']);
  t.match(csp, "default-src 'none'");
  t.match(csp, "script-src 'self'");
  t.match(csp, "style-src 'self'");
  t.match(csp, "connect-src 'self'");
  t.match(csp, "frame-ancestors 'none'");
  t.notMatch(csp, /unsafe-inline|unsafe-eval|\*/, 'nothing unsafe');
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['x-frame-options'], 'DENY');
  t.equal(res.headers['referrer-policy'], 'no-referrer');

  const js = await app.inject({ url: '/dashboard/dashboard.js' });
  t.equal(js.statusCode, 200);
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.equal(js.body, DASHBOARD_SCRIPT);
  const css = await app.inject({ url: '/dashboard/dashboard.css' });
  t.match(css.headers['content-type'], /^text\/css/);

  const nhsuk = await app.inject({ url: '/assets/nhsuk-frontend.min.css' });
  t.equal(nhsuk.statusCode, 200);
  t.match(nhsuk.headers['content-type'], /^text\/css/);
  t.match(nhsuk.body, '.nhsuk-header');
  const icon = await app.inject({ url: '/assets/images/nhsuk-icon-arrow-down.svg' });
  t.equal(icon.statusCode, 200, 'icons the stylesheet refers to are served');
  t.match(icon.headers['content-type'], /^image\/svg\+xml/);
  const escape = await app.inject({ url: '/assets/images/..%2f..%2fpackage.json' });
  t.not(escape.statusCode, 200, 'no path traversal out of the assets');
});

t.test('the client script parses and never writes markup', async (t) => {
  t.doesNotThrow(() => new vm.Script(DASHBOARD_SCRIPT), 'valid JavaScript');
  t.notMatch(DASHBOARD_SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  t.match(DASHBOARD_SCRIPT, "Authorization: 'Bearer ' + token()");
  t.match(DASHBOARD_SCRIPT, 'sessionStorage');
});

t.test('layout escapes what it is given', async (t) => {
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const html = page({ title: '<Dash>', main: '<p>ok</p>', homeHref: '/x"y' });
  t.match(html, '<title>&lt;Dash&gt; – Batsignal</title>');
  t.match(html, 'href="/x&quot;y"');
});
