// GET /dashboard: the admin dashboard. The page is a shell with no data in it; its script asks
// for the admin token, keeps it in sessionStorage and reads the JSON API with it (src/alerts/routes.ts),
// so nothing about an alert or a member reaches a browser that has not presented the token.
// The script is src/web/public/dashboard.js.
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { page, servePage } from './layout.js';
import { SIGNIN_FORM } from './signin.js';

export const DASHBOARD_PATH = '/dashboard';

const MAIN = `
<h1 class="nhsuk-heading-l">Alerts dashboard</h1>
<noscript><div class="nhsuk-warning-callout"><h2 class="nhsuk-warning-callout__label">JavaScript needed</h2>
<p>This page needs JavaScript to read alerts with your admin token. The same data is in the API: see docs/dashboard.md.</p></div></noscript>

${SIGNIN_FORM('Show alerts')}

<div id="board" hidden>
  <p class="nhsuk-body-s bs-toolbar"><span id="updated" aria-live="polite">Loading…</span>
    <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item" type="button" id="signout">Sign out</button></p>
  <div class="nhsuk-error-summary" id="problem" role="alert" tabindex="-1" hidden>
    <h2 class="nhsuk-error-summary__title">There is a problem</h2>
    <div class="nhsuk-error-summary__body"><p id="problem-text"></p></div>
  </div>

  <p class="nhsuk-body" id="no-alerts" hidden>No alerts have been raised yet.</p>

  <section id="detail" aria-labelledby="detail-title" hidden>
    <h2 class="nhsuk-heading-m" id="detail-title"></h2>
    <p class="nhsuk-body" id="detail-tags"></p>
    <div class="nhsuk-warning-callout" id="exercise-callout" hidden>
      <h3 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>Exercise</span></h3>
      <p>This alert is an exercise, not a real incident.</p>
    </div>
    <p class="nhsuk-body bs-summary" id="detail-summary"></p>
    <p class="nhsuk-body-s" id="detail-meta"></p>
    <ul class="bs-counts" id="counts" aria-label="Counts"></ul>
    <h3 class="nhsuk-heading-s" id="nonresponders-title">Not acknowledged</h3>
    <p class="nhsuk-body-s bs-toolbar">
      <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item" type="button" id="csv-unacked">Download not acknowledged (CSV)</button>
      <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item" type="button" id="csv-all">Download all recipients (CSV)</button>
    </p>
    <p class="nhsuk-body" id="nonresponders-none" hidden>Everyone has acknowledged.</p>
    <table class="nhsuk-table-responsive" id="nonresponders">
      <caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Recipients who have not acknowledged</caption>
      <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
        <th class="nhsuk-table__header" scope="col">Name</th>
        <th class="nhsuk-table__header" scope="col">Organisation</th>
        <th class="nhsuk-table__header" scope="col">Phone</th>
        <th class="nhsuk-table__header" scope="col">Text</th>
      </tr></thead>
      <tbody class="nhsuk-table__body" id="nonresponders-body"></tbody>
    </table>
    <p class="nhsuk-body-s" id="nonresponders-more" hidden></p>
  </section>

  <section id="list" aria-labelledby="list-title">
    <h2 class="nhsuk-heading-m" id="list-title">All alerts</h2>
    <table class="nhsuk-table-responsive" id="alerts">
      <caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Alerts, newest first</caption>
      <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
        <th class="nhsuk-table__header" scope="col">Alert</th>
        <th class="nhsuk-table__header" scope="col">Raised</th>
        <th class="nhsuk-table__header" scope="col">Acknowledged</th>
        <th class="nhsuk-table__header" scope="col">Status</th>
      </tr></thead>
      <tbody class="nhsuk-table__body" id="alerts-body"></tbody>
    </table>
    <p class="nhsuk-body-s" id="optouts"></p>
  </section>
</div>
`;

export async function registerDashboard(app: FastifyInstance, _deps: RouteDeps): Promise<void> {
  servePage(app, DASHBOARD_PATH, page({ title: 'Alerts dashboard', main: MAIN, homeHref: DASHBOARD_PATH, script: 'dashboard.js' }));
}
