// The NHS.UK design system's compiled assets, served straight from the nhsuk-frontend package
// (no front-end build). The stylesheet refers to its icons as /assets/images/..., so that is where they live.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where pages link the NHS.UK stylesheet (the simulator reuses it when present). */
export const NHSUK_CSS_HREF = '/assets/nhsuk-frontend.min.css';

const packageDir = path.dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json'));
const distDir = path.join(packageDir, 'dist', 'nhsuk');

export async function registerNhsukAssets(app: FastifyInstance): Promise<void> {
  // ~140 kB, read once: a page load during an incident should not wait on the disk.
  const css = await fs.readFile(path.join(distDir, 'nhsuk-frontend.min.css'), 'utf8');
  app.get(NHSUK_CSS_HREF, { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=86400').send(css),
  );
  await app.register(fastifyStatic, {
    root: path.join(distDir, 'assets', 'images'),
    prefix: '/assets/images/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    maxAge: '1d',
  });
}

/** Headers for every page: a strict CSP (own scripts and styles only, nothing inline, no framing). */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    // The stylesheet names NHS fonts on assets.nhs.uk; not loading them keeps the page working
    // with the NHS network down (it falls back to Arial) and keeps every request on this origin.
    "font-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};
