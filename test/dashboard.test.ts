// The dashboard shell: no data without the token, a strict CSP, and the NHS.UK assets it needs.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, markSent, raiseAlert } from './helpers/alert-fixtures.js';
import { escapeHtml, page } from '../src/web/layout.js';
import { PUBLIC_DIR, withoutRemoteFonts } from '../src/web/static.js';

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
  t.match(res.body, '<link rel="stylesheet" href="/assets/web/site.css">');
  t.match(res.body, '<script type="module" src="/assets/web/dashboard.js"></script>');
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

  const js = await app.inject({ url: '/assets/web/dashboard.js' });
  t.equal(js.statusCode, 200);
  t.match(js.headers['content-type'], /^(text|application)\/javascript/);
  t.equal(js.headers['x-content-type-options'], 'nosniff');
  t.equal(js.body, readFileSync(new URL('dashboard.js', `file://${PUBLIC_DIR}`), 'utf8'), 'the file in src/web/public, as it is');
  const css = await app.inject({ url: '/assets/web/site.css' });
  t.match(css.headers['content-type'], /^text\/css/);
  for (const url of ['/assets/web/nhsuk-frontend.min.js', '/assets/web/uPlot.esm.js', '/assets/web/uPlot.min.css']) {
    const r = await app.inject({ url });
    t.equal(r.statusCode, 200, `${url} from its package`);
    t.notMatch(r.body, 'sourceMappingURL', `${url}: no map the browser would ask for`);
  }
  for (const url of ['/assets/web/tsconfig.json', '/assets/web/api.d.ts', '/assets/web/..%2f..%2fapp.ts', '/assets/web/../static.ts']) {
    const r = await app.inject({ url });
    t.equal(r.statusCode, 404, `${url}: only the scripts and stylesheet are served`);
  }

  const nhsuk = await app.inject({ url: '/assets/nhsuk-frontend.min.css' });
  t.equal(nhsuk.statusCode, 200);
  t.match(nhsuk.headers['content-type'], /^text\/css/);
  t.match(nhsuk.body, '.nhsuk-header');
  t.notMatch(nhsuk.body, /@font-face|assets\.nhs\.uk|url\(https?:/, 'no fonts asked of another origin (the CSP would block them)');
  const icon = await app.inject({ url: '/assets/images/nhsuk-icon-arrow-down.svg' });
  t.equal(icon.statusCode, 200, 'icons the stylesheet refers to are served');
  t.match(icon.headers['content-type'], /^image\/svg\+xml/);
  const escape = await app.inject({ url: '/assets/images/..%2f..%2fpackage.json' });
  t.not(escape.statusCode, 200, 'no path traversal out of the assets');
});

t.test('the page scripts are type-checked modules that never write markup', async (t) => {
  const scripts = readdirSync(PUBLIC_DIR).filter((f) => f.endsWith('.js'));
  t.ok(scripts.includes('dashboard.js') && scripts.includes('simulator.js') && scripts.includes('common.js'));
  for (const f of scripts) {
    const src = readFileSync(new URL(f, `file://${PUBLIC_DIR}`), 'utf8');
    t.match(src, /^\/\/ @ts-check\n/, `${f} is checked by tsc (npm run typecheck)`);
    t.notMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|String\.raw/, `${f} writes no markup`);
  }
  const common = readFileSync(new URL('common.js', `file://${PUBLIC_DIR}`), 'utf8');
  t.match(common, 'headers.Authorization = `Bearer ${t}`');
  t.match(common, 'sessionStorage');
});

t.test('the NHS.UK stylesheet loses its remote fonts and nothing else', async (t) => {
  const css = '.a{color:red}@font-face{font-family:X;src:url(https://assets.nhs.uk/f.woff2) format("woff2")}.b{background:url(/assets/images/i.svg)}';
  t.equal(withoutRemoteFonts(css), '.a{color:red}.b{background:url(/assets/images/i.svg)}');
  t.throws(() => withoutRemoteFonts('.a{background:url(https://example.com/x.png)}'), /another origin/);
});

t.test('layout escapes what it is given', async (t) => {
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const html = page({ title: '<Dash>', main: '<p>ok</p>', homeHref: '/x"y', script: 'dashboard.js' });
  t.match(html, '<title>&lt;Dash&gt; – Batsignal</title>');
  t.match(html, 'href="/x&quot;y"');
});
