// The one NHS.UK page frame (skip link, header, main, footer) for every server-rendered page, and
// the one way to send it: with the one CSP. Pages carry no data: their scripts read the API.
import type { FastifyInstance } from 'fastify';
import { NHSUK_CSS_HREF, PAGE_SECURITY_HEADERS, SITE_CSS_HREF, WEB_PREFIX } from './static.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const LOGO =
  '<svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"/></svg>';

export interface PageOptions {
  title: string;
  /** Trusted markup (the page's own template, no data in it). */
  main: string;
  homeHref: string;
  /** The page's module in src/web/public/, e.g. 'dashboard.js'. */
  script: string;
  /** Extra stylesheets (absolute paths on this origin). */
  styles?: string[];
  /** Trusted markup between the header and the main column (the simulator's banner). */
  banner?: string;
}

/** The admin pages, linked from each other. */
const PAGES: [string, string][] = [
  ['/dashboard', 'Alerts'],
  ['/members', 'Members'],
];

function nav(current: string): string {
  const items = PAGES.map(([href, label]) => `<li><a href="${href}"${href === current ? ' aria-current="page"' : ''}>${label}</a></li>`).join('');
  return `<nav aria-label="Batsignal pages"><ul class="bs-nav nhsuk-body-s">${items}</ul></nav>`;
}

export function page(o: PageOptions): string {
  const styles = [NHSUK_CSS_HREF, ...(o.styles ?? []), SITE_CSS_HREF].map((h) => `<link rel="stylesheet" href="${escapeHtml(h)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>${escapeHtml(o.title)} – Batsignal</title>
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#005eb8">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="/assets/images/favicon.svg" sizes="any" type="image/svg+xml">
${styles}
<script type="module" src="${escapeHtml(WEB_PREFIX + o.script)}"></script>
</head>
<body>
<a class="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
<header class="nhsuk-header" role="banner">
  <div class="nhsuk-header__container nhsuk-width-container">
    <div class="nhsuk-header__service">
      <a class="nhsuk-header__service-logo" href="${escapeHtml(o.homeHref)}" aria-label="Batsignal ${escapeHtml(o.title)}">${LOGO}
        <span class="nhsuk-header__service-name">Batsignal</span>
      </a>
    </div>
  </div>
</header>
${o.banner ?? ''}
<div class="nhsuk-width-container">
<main class="nhsuk-main-wrapper nhsuk-main-wrapper--s" id="maincontent">
${nav(o.homeHref)}
${o.main}
</main>
</div>
<footer class="nhsuk-footer" role="contentinfo">
  <div class="nhsuk-footer__container nhsuk-width-container">
    <p class="nhsuk-body-s">Batsignal: cyber alerts for NHS digital leaders, by text first.</p>
  </div>
</footer>
</body>
</html>
`;
}

/** GET `path` answers the page, with the one CSP; no-cache so a release is picked up at once. */
export function servePage(app: FastifyInstance, path: string, html: string): void {
  app.get(path, { schema: { hide: true } }, async (_req, reply) =>
    reply.headers(PAGE_SECURITY_HEADERS).header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(html),
  );
}
