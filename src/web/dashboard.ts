// GET /dashboard: the admin dashboard. The page is a shell with no data in it; its script asks
// for the admin token, keeps it in sessionStorage and reads the JSON API with it (src/alerts/routes.ts),
// so nothing about an alert or a member reaches a browser that has not presented the token.
// The script is src/web/public/dashboard.js.
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { escapeHtml, page, servePage } from './layout.js';
import { SIGNIN_FORM } from './signin.js';
import { UPLOT_CSS_HREF, WEB_PREFIX } from './static.js';
import { ORGANISATIONS_VIEW } from './dashboard-orgs.js';
import { ADVISORY_BUTTON, ADVISORY_PANEL, ADVISORY_VIEW } from './dashboard-advisory.js';

export const DASHBOARD_PATH = '/dashboard';

/** Raise, UPDATE and ALLCLEAR: a form, then a preview of the exact text and its reach, then Send. */
const actionPanel = (thresholdQuestion: string) => `
  <section id="action" class="nhsuk-card" aria-labelledby="action-title" hidden>
    <div class="nhsuk-card__content">
    <h2 class="nhsuk-card__heading nhsuk-heading-m" id="action-title" tabindex="-1">Raise an alert</h2>
    <div class="nhsuk-error-summary" id="act-problem" role="alert" tabindex="-1" hidden>
      <h3 class="nhsuk-error-summary__title">There is a problem</h3>
      <div class="nhsuk-error-summary__body"><p id="act-problem-text"></p></div>
    </div>
    <form id="action-form" novalidate>
      <div class="nhsuk-form-group">
        <label class="nhsuk-label" for="act-admin">Acting as</label>
        <div class="nhsuk-hint" id="act-admin-hint">The admin member named in the texts and recorded as raising or sending it.</div>
        <select class="nhsuk-select" id="act-admin" name="adminId" aria-describedby="act-admin-hint"></select>
      </div>
      <div id="act-raise">
        <div class="nhsuk-form-group">
          <fieldset class="nhsuk-fieldset">
            <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s" id="act-threshold-question">${escapeHtml(thresholdQuestion)}</legend>
            <div class="nhsuk-radios nhsuk-radios--inline">
              <div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="act-threshold-yes" name="threshold" type="radio" value="yes"><label class="nhsuk-label nhsuk-radios__label" for="act-threshold-yes">Yes</label></div>
              <div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="act-threshold-no" name="threshold" type="radio" value="no"><label class="nhsuk-label nhsuk-radios__label" for="act-threshold-no">No</label></div>
            </div>
          </fieldset>
        </div>
        <div class="nhsuk-form-group">
          <label class="nhsuk-label" for="act-summary">Describe the incident in one text</label>
          <div class="nhsuk-hint" id="act-summary-hint">What it is, who is affected and what to do. 3 to 600 characters.</div>
          <textarea class="nhsuk-textarea" id="act-summary" name="summary" rows="4" maxlength="600" aria-describedby="act-summary-hint"></textarea>
        </div>
        <div class="nhsuk-form-group">
          <div class="nhsuk-checkboxes">
            <div class="nhsuk-checkboxes__item"><input class="nhsuk-checkboxes__input" id="act-exercise" name="exercise" type="checkbox" value="yes"><label class="nhsuk-label nhsuk-checkboxes__label" for="act-exercise">This is an exercise</label></div>
          </div>
        </div>
      </div>
      <div class="nhsuk-form-group" id="act-followup">
        <label class="nhsuk-label" for="act-text" id="act-text-label">Update</label>
        <textarea class="nhsuk-textarea" id="act-text" name="text" rows="3" maxlength="600"></textarea>
      </div>
      <div class="bs-toolbar">
        <button class="nhsuk-button bs-toolbar__item" type="submit" id="act-preview">Preview</button>
        <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="act-cancel">Cancel</button>
      </div>
    </form>
    <div id="act-confirm" hidden>
      <h3 class="nhsuk-heading-s" id="act-confirm-title" tabindex="-1">Check the text before it goes</h3>
      <p class="nhsuk-body" id="act-reach"></p>
      <blockquote class="bs-sms" id="act-text-preview"></blockquote>
      <div class="bs-toolbar">
        <button class="nhsuk-button nhsuk-button--warning bs-toolbar__item" type="button" id="act-send">Send</button>
        <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="act-change">Change</button>
      </div>
    </div>
    </div>
  </section>`;

// The NHS.UK pagination component's arrows (nhsuk-frontend's icon macro), inline SVG: no script or style.
const icon = (name: string, d: string) =>
  `<svg class="nhsuk-icon nhsuk-icon--${name}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true"><path d="${d}"/></svg>`;
const ARROW_LEFT = icon('arrow-left', 'M10.7 6.3c.4.4.4 1 0 1.4L7.4 11H19a1 1 0 0 1 0 2H7.4l3.3 3.3c.4.4.4 1 0 1.4a1 1 0 0 1-1.4 0l-5-5A1 1 0 0 1 4 12c0-.3.1-.5.3-.7l5-5a1 1 0 0 1 1.4 0Z');
const ARROW_RIGHT = icon('arrow-right', 'm14.7 6.3 5 5c.2.2.3.4.3.7 0 .3-.1.5-.3.7l-5 5a1 1 0 0 1-1.4-1.4l3.3-3.3H5a1 1 0 0 1 0-2h11.6l-3.3-3.3a1 1 0 1 1 1.4-1.4Z');

/** NHS.UK pagination (previous/next form) under a paged table; ids prefix-pages, -prev, -next and their labels. */
const pagination = (prefix: string, label: string) => `    <nav class="nhsuk-pagination" role="navigation" aria-label="${label}" id="${prefix}-pages" hidden>
      <ul class="nhsuk-list nhsuk-pagination__list">
        <li class="nhsuk-pagination-item--previous" id="${prefix}-prev-item">
          <a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href="#" rel="prev" id="${prefix}-prev">
            <span class="nhsuk-pagination__title">Previous<span class="nhsuk-u-visually-hidden"> page</span></span>
            <span class="nhsuk-u-visually-hidden">:</span>
            <span class="nhsuk-pagination__page" id="${prefix}-prev-label"></span>
            ${ARROW_LEFT}
          </a>
        </li>
        <li class="nhsuk-pagination-item--next" id="${prefix}-next-item">
          <a class="nhsuk-pagination__link nhsuk-pagination__link--next" href="#" rel="next" id="${prefix}-next">
            <span class="nhsuk-pagination__title">Next<span class="nhsuk-u-visually-hidden"> page</span></span>
            <span class="nhsuk-u-visually-hidden">:</span>
            <span class="nhsuk-pagination__page" id="${prefix}-next-label"></span>
            ${ARROW_RIGHT}
          </a>
        </li>
      </ul>
    </nav>`;

const main = (thresholdQuestion: string) => `
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

  <div class="nhsuk-inset-text" id="notice" role="status" hidden><p id="notice-text"></p></div>
  <p class="nhsuk-body bs-toolbar"><button class="nhsuk-button nhsuk-button--warning bs-toolbar__item" type="button" id="raise-open">Raise an alert</button>
    ${ADVISORY_BUTTON}</p>
${actionPanel(thresholdQuestion)}
${ADVISORY_PANEL}
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
    <p class="nhsuk-body bs-toolbar" id="followups">
      <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="update-open">Send an update</button>
      <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="allclear-open">Stand down (all clear)</button>
    </p>
    <ul class="bs-counts" id="counts" aria-label="Counts"></ul>
    <section id="timeline-section" aria-labelledby="timeline-title" hidden>
      <h3 class="nhsuk-heading-s" id="timeline-title">Over time</h3>
      <p class="nhsuk-body-s" id="timeline-summary"></p>
      <div class="bs-charts" id="timeline" aria-hidden="true"></div>
    </section>
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
${pagination('nonresponders', 'Pages of recipients who have not acknowledged')}
${ORGANISATIONS_VIEW}
${ADVISORY_VIEW}
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

  <section id="optout-list" aria-labelledby="optout-title" hidden>
    <h2 class="nhsuk-heading-m" id="optout-title">Opted out of alert texts</h2>
    <p class="nhsuk-body-s">They get no alert texts (they texted STOP; START brings them back). Alerts still reach them by email.</p>
    <table class="nhsuk-table-responsive" id="optout-table">
      <caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Members opted out of alert texts, most recent first</caption>
      <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
        <th class="nhsuk-table__header" scope="col">Name</th>
        <th class="nhsuk-table__header" scope="col">Organisation</th>
        <th class="nhsuk-table__header" scope="col">Phone</th>
        <th class="nhsuk-table__header" scope="col">Since</th>
      </tr></thead>
      <tbody class="nhsuk-table__body" id="optout-body"></tbody>
    </table>
    <p class="nhsuk-body-s" id="optouts-more" hidden></p>
${pagination('optouts', 'Pages of members opted out of alert texts')}
  </section>
</div>
`;

export function registerDashboard(app: FastifyInstance, deps: RouteDeps): void {
  servePage(app, DASHBOARD_PATH, page({ title: 'Alerts dashboard', main: main(deps.config.thresholdQuestion), homeHref: DASHBOARD_PATH, script: 'dashboard.js', styles: [UPLOT_CSS_HREF, `${WEB_PREFIX}chart.css`, `${WEB_PREFIX}views.css`] }));
}
