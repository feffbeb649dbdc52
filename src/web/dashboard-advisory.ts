// The dashboard's national advisories (filled by src/web/public/advisories.js): the form (title,
// body, severity, targeting, exercise), its preview (POST /api/advisories with dryRun: the
// organisations reached and through which contacts, estate unknown, unreachable) before an
// explicit Send, and under an advisory the responses by organisation with who to chase.
// No data in the markup.
import { escapeHtml } from './layout.js';

const TYPES: [string, string][] = [
  ['trust', 'Trusts'],
  ['gp_practice', 'GP practices'],
  ['icb', 'ICBs'],
  ['csu', 'Commissioning support units'],
  ['local_authority', 'Local authorities'],
  ['social_care', 'Social care'],
  ['other', 'Other'],
];

const SEVERITIES: [string, string, string][] = [
  ['high', 'High', 'Each organisation responds within 48 hours.'],
  ['medium', 'Medium', 'Within 7 days.'],
  ['low', 'Low', 'No deadline.'],
];

const checkbox = (id: string, name: string, value: string, label: string) =>
  `<div class="nhsuk-checkboxes__item"><input class="nhsuk-checkboxes__input" id="${id}" name="${name}" type="checkbox" value="${escapeHtml(value)}"><label class="nhsuk-label nhsuk-checkboxes__label" for="${id}">${escapeHtml(label)}</label></div>`;

const text = (id: string, label: string, hint: string, extra = '', width = '') => `
        <div class="nhsuk-form-group" id="${id}-group">
          <label class="nhsuk-label" for="${id}">${label}</label>
          <div class="nhsuk-hint" id="${id}-hint">${hint}</div>
          <input class="nhsuk-input${width}" id="${id}" type="text" autocomplete="off" spellcheck="false" aria-describedby="${id}-hint" ${extra}>
        </div>`;

export const ADVISORY_BUTTON = `<button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="adv-open">Issue an advisory</button>`;

export const ADVISORY_PANEL = `
  <section id="advisory" class="nhsuk-card" aria-labelledby="adv-title-heading" hidden>
    <div class="nhsuk-card__content">
    <h2 class="nhsuk-card__heading nhsuk-heading-m" id="adv-title-heading" tabindex="-1">Issue a national advisory</h2>
    <div class="nhsuk-error-summary" id="adv-problem" role="alert" tabindex="-1" hidden>
      <h3 class="nhsuk-error-summary__title">There is a problem</h3>
      <div class="nhsuk-error-summary__body"><ul class="nhsuk-list nhsuk-error-summary__list" id="adv-problem-list"></ul></div>
    </div>
    <form id="adv-form" novalidate>
      <div class="nhsuk-form-group">
        <label class="nhsuk-label" for="adv-title">Title</label>
        <div class="nhsuk-hint" id="adv-title-hint">Goes in the text, so keep it short: what and what to do. Up to 120 characters.</div>
        <input class="nhsuk-input" id="adv-title" type="text" maxlength="120" autocomplete="off" aria-describedby="adv-title-hint">
      </div>
      <div class="nhsuk-form-group">
        <label class="nhsuk-label" for="adv-body">Details</label>
        <div class="nhsuk-hint" id="adv-body-hint">Sent by email with the advisory: versions affected, the fix, links. Up to 10,000 characters.</div>
        <textarea class="nhsuk-textarea" id="adv-body" rows="6" maxlength="10000" aria-describedby="adv-body-hint"></textarea>
      </div>
      <div class="nhsuk-form-group">
        <fieldset class="nhsuk-fieldset">
          <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Severity</legend>
          <div class="nhsuk-radios">
            ${SEVERITIES.map(([v, l, h]) => `<div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="adv-severity-${v}" name="adv-severity" type="radio" value="${v}" aria-describedby="adv-severity-${v}-hint"><label class="nhsuk-label nhsuk-radios__label" for="adv-severity-${v}">${l}</label><div class="nhsuk-hint nhsuk-radios__hint" id="adv-severity-${v}-hint">${h}</div></div>`).join('')}
          </div>
        </fieldset>
      </div>
      ${text('adv-hours', 'Respond within (hours, optional)', 'Instead of the severity\'s window: 1 to 2160.', 'inputmode="numeric"', ' nhsuk-input--width-4')}
      <div class="nhsuk-form-group">
        <fieldset class="nhsuk-fieldset" aria-describedby="adv-target-hint">
          <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">Who it goes to</legend>
          <div class="nhsuk-hint" id="adv-target-hint">Organisations matching every box you fill (any of the values within one). Organisations with no product list are included and marked "estate unknown".</div>
          <div class="nhsuk-form-group">
            <fieldset class="nhsuk-fieldset">
              <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Types of organisation</legend>
              <div class="nhsuk-checkboxes nhsuk-checkboxes--small bs-fields">
                ${TYPES.map(([v, l]) => checkbox(`adv-type-${v}`, 'adv-type', v, l)).join('\n                ')}
              </div>
            </fieldset>
          </div>
          <div class="bs-fields">
            ${text('adv-regions', 'Regions', 'Separate with commas, e.g. North West.')}
            ${text('adv-ods', 'ODS codes', 'Separate with commas or spaces.')}
          </div>
          ${text('adv-products', 'Products', 'Separate with commas, e.g. Juniper ScreenOS, Citrix NetScaler.')}
          <div class="nhsuk-checkboxes">
            ${checkbox('adv-all', 'adv-all', 'yes', 'Every organisation in the directory (leave the boxes above empty)')}
          </div>
        </fieldset>
      </div>
      <div class="nhsuk-form-group">
        <div class="nhsuk-checkboxes">
          ${checkbox('adv-exercise', 'adv-exercise', 'yes', 'This is an exercise')}
        </div>
      </div>
      <div class="bs-toolbar">
        <button class="nhsuk-button bs-toolbar__item" type="submit" id="adv-preview">Preview who it reaches</button>
        <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="adv-cancel">Cancel</button>
      </div>
    </form>
    <div id="adv-confirm" hidden>
      <h3 class="nhsuk-heading-s" id="adv-confirm-title" tabindex="-1">Check who it reaches before it goes</h3>
      <p class="nhsuk-body" id="adv-reach"></p>
      <ul class="bs-counts" id="adv-preview-counts" aria-label="Reach"></ul>
      <div class="nhsuk-warning-callout" id="adv-unreachable" hidden>
        <h4 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>Cannot be reached</span></h4>
        <p id="adv-unreachable-text"></p>
        <ul class="nhsuk-list nhsuk-list--bullet" id="adv-unreachable-list"></ul>
      </div>
      <table class="nhsuk-table-responsive bs-orgs" id="adv-preview-table">
        <caption class="nhsuk-table__caption nhsuk-table__caption--s">Organisations and the contacts it reaches them through</caption>
        <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
          <th class="nhsuk-table__header" scope="col">Organisation</th>
          <th class="nhsuk-table__header" scope="col">Estate</th>
          <th class="nhsuk-table__header" scope="col">Reached through</th>
        </tr></thead>
        <tbody class="nhsuk-table__body" id="adv-preview-body"></tbody>
      </table>
      <div class="bs-toolbar">
        <button class="nhsuk-button nhsuk-button--warning bs-toolbar__item" type="button" id="adv-send">Send</button>
        <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="adv-change">Change</button>
      </div>
    </div>
    </div>
  </section>`;

export const ADVISORY_VIEW = `
    <section id="adv-view" aria-labelledby="adv-view-title" hidden>
      <h3 class="nhsuk-heading-m" id="adv-view-title">Responses by organisation</h3>
      <p class="nhsuk-body" id="adv-deadline"></p>
      <ul class="bs-counts" id="adv-counts" aria-label="Responses"></ul>
      <h4 class="nhsuk-heading-s" id="adv-chase-title">Who to chase</h4>
      <p class="nhsuk-body" id="adv-chase-none" hidden>Every reachable organisation has responded.</p>
      <table class="nhsuk-table-responsive bs-orgs" id="adv-chase">
        <caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Organisations with no response yet, or needing help, and whom to call</caption>
        <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
          <th class="nhsuk-table__header" scope="col">Organisation</th>
          <th class="nhsuk-table__header" scope="col">Why</th>
          <th class="nhsuk-table__header" scope="col">Who to call</th>
        </tr></thead>
        <tbody class="nhsuk-table__body" id="adv-chase-body"></tbody>
      </table>
      <h4 class="nhsuk-heading-s">Every organisation</h4>
      <p class="nhsuk-body-s"><button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="button" id="adv-csv">Download responses (CSV)</button></p>
      <table class="nhsuk-table-responsive bs-orgs" id="adv-all-orgs">
        <caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Each organisation's response</caption>
        <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
          <th class="nhsuk-table__header" scope="col">Organisation</th>
          <th class="nhsuk-table__header" scope="col">Response</th>
          <th class="nhsuk-table__header" scope="col">Answered by</th>
        </tr></thead>
        <tbody class="nhsuk-table__body" id="adv-all-body"></tbody>
      </table>
    </section>`;
