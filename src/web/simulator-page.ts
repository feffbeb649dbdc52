// The /simulator page shell. It carries no data: the script asks for the admin token (or takes it
// from the #token= fragment the start-up line prints) and fills the phones from /api/simulator/*.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const NHSUK_CSS_FILE = 'nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css';
const OWN_CSS_PATH = '/simulator/nhsuk-frontend.min.css';

/**
 * The NHS.UK stylesheet: the dashboard's copy when it serves one (same URL, one cache entry),
 * else this module serves the package's compiled CSS itself.
 */
export async function nhsukStylesheet(app: FastifyInstance, shared: readonly string[] = []): Promise<{ href: string; serve?: string }> {
  for (const href of shared) if (app.hasRoute({ method: 'GET', url: href })) return { href };
  const file = createRequire(import.meta.url).resolve(NHSUK_CSS_FILE);
  return { href: OWN_CSS_PATH, serve: await fs.readFile(file, 'utf8') };
}

const LOGO = `<svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"/></svg>`;

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function simulatorPage(nhsukCssHref: string): string {
  return `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Phone simulator – Batsignal</title>
<link rel="stylesheet" href="${escapeAttr(nhsukCssHref)}">
<link rel="stylesheet" href="/simulator/simulator.css">
<script type="module" src="/simulator/simulator.js"></script>
</head>
<body>
<a class="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
<header class="nhsuk-header" role="banner">
  <div class="nhsuk-header__container nhsuk-width-container">
    <div class="nhsuk-header__service">
      <a class="nhsuk-header__service-logo" href="/simulator" aria-label="Batsignal phone simulator">${LOGO}</a>
      <span class="nhsuk-header__service-name">Batsignal</span>
    </div>
  </div>
</header>
<div class="sim-banner" role="note">
  <div class="nhsuk-width-container"><strong>Phone simulator — no real texts are sent</strong></div>
</div>
<div class="nhsuk-width-container">
<main class="nhsuk-main-wrapper nhsuk-main-wrapper--s" id="maincontent">
  <h1 class="nhsuk-heading-l">Phone simulator</h1>
  <div class="nhsuk-card nhsuk-card--warning sim-intro">
    <div class="nhsuk-card__content">
      <h2 class="nhsuk-card__heading"><span class="nhsuk-u-visually-hidden">Important: </span>No real texts are sent</h2>
      <p class="nhsuk-card__description">Batsignal has no Vonage credentials, so its texts land on these simulated phones.
      A text typed here goes through the same webhook, checks and conversation as a text from a real phone.
      The numbers are from Ofcom's drama range (07700 900xxx) and can never reach a real person.</p>
    </div>
  </div>

  <form id="token-form" class="sim-token" hidden>
    <div class="nhsuk-form-group" id="token-group">
      <label class="nhsuk-label nhsuk-label--s" for="token">Admin token</label>
      <div class="nhsuk-hint" id="token-hint">Printed when Batsignal started, and kept in the data directory (admin-token).</div>
      <p class="nhsuk-error-message" id="token-error" hidden></p>
      <input class="nhsuk-input nhsuk-input--width-20" id="token" name="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-hint token-error">
    </div>
    <button class="nhsuk-button" type="submit">Continue</button>
  </form>

  <div id="sim" hidden>
    <div class="sim-toolbar">
      <p class="nhsuk-body sim-toolbar__item" id="exercise-status"></p>
      <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small sim-toolbar__item" type="button" id="exercise-toggle"></button>
      <p class="nhsuk-body sim-toolbar__item"><a href="/dashboard" id="dashboard-link">Open the dashboard</a></p>
    </div>
    <p class="nhsuk-body" id="how-to">Text <strong>HELP</strong> from any phone to see the commands, or <strong>RAISE</strong> from an admin's phone to start an alert. Batsignal's number: <span id="batsignal-number"></span>.</p>
    <form id="add-form" class="sim-add">
      <div class="nhsuk-form-group sim-add__group">
        <label class="nhsuk-label" for="add-phone">Show another member's phone</label>
        <select class="nhsuk-select" id="add-phone" name="phone"></select>
      </div>
      <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Show phone</button>
    </form>
    <p class="nhsuk-body" id="no-members" hidden>There are no members yet. Add some with <code>npm run members -- import members.csv</code>, then reload this page.</p>
    <div class="sim-phones" id="phones"></div>
  </div>
</main>
</div>
</body>
</html>
`;
}
