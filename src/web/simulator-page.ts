// The /simulator page. It carries no data: its script (src/web/public/simulator.js) asks for the
// admin token (or takes it from the #token= fragment the start-up line prints) and fills the phones
// from /api/simulator/*.
import { page } from './layout.js';

export const SIMULATOR_PATH = '/simulator';

const BANNER = `<div class="sim-banner" role="note">
  <div class="nhsuk-width-container"><strong>Phone simulator — no real texts are sent</strong></div>
</div>`;

const MAIN = `
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
`;

export const simulatorPage = (): string => page({ title: 'Phone simulator', main: MAIN, homeHref: SIMULATOR_PATH, script: 'simulator.js', banner: BANNER });
