// Chromium for the page tests: launched with the agreed flags, every console error or warning and
// every page error collected, axe-core run against the page as it stands, and screenshots kept
// (test-artifacts/, and docs/screenshots/ for the ones the docs show).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const ARTIFACTS = path.resolve('test-artifacts');
export const DOC_SHOTS = path.resolve('docs', 'screenshots');

type Tap = Test;

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and warnings and page errors so far. */
  problems: string[];
}

/** Chromium with one page, closed at teardown; undefined (and a failure) when Chromium is missing. */
export async function launch(t: Tap, viewport = { width: 1280, height: 900 }): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    t.fail(`Chromium is not installed at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) to run the browser test`);
    return undefined;
  }
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, acceptDownloads: true });
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
  return { context, page, problems };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core on the page as it is now: the serious and critical violations, as "rule: help (targets)".
 * The script is evaluated through the DevTools protocol, so the page's CSP stays as it is.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${JSON.stringify(v.nodes.slice(0, 3))})`);
}

/** Asserts axe finds nothing serious on the page as it is now. */
export async function checkAccessibility(t: Tap, page: Page, what: string): Promise<void> {
  t.same(await axeViolations(page), [], `axe-core: no serious or critical accessibility violations (${what})`);
}

/** One layout pass, then the page's width: nothing may be wider than the screen. */
export async function pageWidth(page: Page): Promise<number> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/** A full-page screenshot in test-artifacts/, and in docs/screenshots/ when `docs` is set. */
export async function screenshot(page: Page, name: string, docs = false): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (docs) {
    mkdirSync(DOC_SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(DOC_SHOTS, `${name}.png`), fullPage: true });
  }
}
