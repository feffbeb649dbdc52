// Every file a page loads, from this origin only: the NHS.UK design system's compiled CSS and JS and
// its icons (straight from the nhsuk-frontend package, no front-end build), uPlot (the charts), and
// the pages' own scripts and stylesheet in src/web/public/ (plain JavaScript modules checked by tsc,
// copied beside the compiled server by `npm run build`). Registered once, by app.ts.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where pages link the NHS.UK stylesheet. */
export const NHSUK_CSS_HREF = '/assets/nhsuk-frontend.min.css';
/** The pages' own scripts and stylesheet (src/web/public/), and the two modules they import. */
export const WEB_PREFIX = '/assets/web/';
export const SITE_CSS_HREF = `${WEB_PREFIX}site.css`;
export const UPLOT_CSS_HREF = `${WEB_PREFIX}uPlot.min.css`;

const require = createRequire(import.meta.url);
const nhsukDir = path.join(path.dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk');
const uplotDir = path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');
/** src/web/public under tsx; dist/src/web/public in the build (copied there by `npm run build`). */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * The NHS.UK stylesheet names its Frutiger fonts on assets.nhs.uk. The CSP allows fonts from this
 * origin only and the package ships no font files, so the @font-face rules are dropped: the font
 * stack falls back to Arial (as NHS.UK's own does when the fonts fail), with no blocked requests.
 */
export function withoutRemoteFonts(css: string): string {
  const out = css.replace(/@font-face\s*\{[^}]*\}/g, '');
  if (/url\(\s*["']?https?:/i.test(out)) throw new Error('the NHS.UK stylesheet refers to another origin');
  return out;
}

const OWN_FILE = /^[a-z][a-z0-9-]*\.(js|css)$/;

export async function registerWebAssets(app: FastifyInstance): Promise<void> {
  // Read once (~140 kB): a page load during an incident should not wait on the disk.
  const files: Record<string, { body: string; type: string }> = {
    [NHSUK_CSS_HREF]: { body: withoutRemoteFonts(await fs.readFile(path.join(nhsukDir, 'nhsuk-frontend.min.css'), 'utf8')), type: 'text/css' },
    [`${WEB_PREFIX}nhsuk-frontend.min.js`]: { body: await fs.readFile(path.join(nhsukDir, 'nhsuk-frontend.min.js'), 'utf8'), type: 'text/javascript' },
    [`${WEB_PREFIX}uPlot.esm.js`]: { body: await fs.readFile(path.join(uplotDir, 'uPlot.esm.js'), 'utf8'), type: 'text/javascript' },
    [UPLOT_CSS_HREF]: { body: await fs.readFile(path.join(uplotDir, 'uPlot.min.css'), 'utf8'), type: 'text/css' },
  };
  for (const [url, f] of Object.entries(files)) {
    const body = f.body.replace(/\/[/*]# sourceMappingURL=[^\s*]+(\s*\*\/)?\s*$/, '');
    app.get(url, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(`${f.type}; charset=utf-8`).header('X-Content-Type-Options', 'nosniff').header('Cache-Control', 'public, max-age=86400').send(body),
    );
  }
  const nosniff = (reply: FastifyReply) => reply.header('X-Content-Type-Options', 'nosniff');
  await app.register(fastifyStatic, {
    root: path.join(nhsukDir, 'assets', 'images'),
    prefix: '/assets/images/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    maxAge: '1d',
    setHeaders: (reply) => {
      nosniff(reply);
    },
  });
  // Our own files change with each release: revalidated (ETag) on every load.
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: WEB_PREFIX,
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    cacheControl: false,
    allowedPath: (pathName) => OWN_FILE.test(pathName.replace(/^\//, '')),
    setHeaders: (reply) => {
      nosniff(reply).header('Cache-Control', 'no-cache');
    },
  });
}

/** The one CSP of every page: own scripts, styles, images and fonts only, nothing inline, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers for every page. */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};
