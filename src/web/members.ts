// GET /members: the members page. A shell with no data in it, like the dashboard: its script
// (src/web/public/members.js) asks for the admin token and uses the members API
// (src/directory/routes.ts) to search, add, change, remove and import members.
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { page, servePage } from './layout.js';
import { SIGNIN_FORM } from './signin.js';

export const MEMBERS_PATH = '/members';

const MAIN = `
<h1 class="nhsuk-heading-l">Members</h1>
<noscript><div class="nhsuk-warning-callout"><h2 class="nhsuk-warning-callout__label">JavaScript needed</h2>
<p>This page needs JavaScript to use the members API with your admin token. See docs/members.md for the API.</p></div></noscript>
${SIGNIN_FORM('Show members')}

<div id="board" hidden>
  <p class="nhsuk-body-s bs-toolbar"><span id="updated" aria-live="polite"></span>
    <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item" type="button" id="signout">Sign out</button></p>
  <div class="nhsuk-error-summary" id="problem" role="alert" tabindex="-1" hidden>
    <h2 class="nhsuk-error-summary__title">There is a problem</h2>
    <div class="nhsuk-error-summary__body"><p id="problem-text"></p></div>
  </div>
  <div class="nhsuk-inset-text" id="notice" role="status" hidden><p id="notice-text"></p></div>

  <form id="filters" class="bs-filters" role="search" aria-label="Find members">
    <div class="nhsuk-form-group bs-filters__item">
      <label class="nhsuk-label" for="search">Name, organisation, email or phone</label>
      <input class="nhsuk-input" id="search" name="search" type="search" maxlength="200" autocomplete="off" spellcheck="false">
    </div>
    <div class="nhsuk-form-group bs-filters__item">
      <label class="nhsuk-label" for="filter-role">Role</label>
      <select class="nhsuk-select" id="filter-role" name="role">
        <option value="">Any</option><option value="admin">Admins</option><option value="member">Members</option>
      </select>
    </div>
    <div class="nhsuk-form-group bs-filters__item">
      <label class="nhsuk-label" for="filter-optout">Alert texts</label>
      <select class="nhsuk-select" id="filter-optout" name="optedOut">
        <option value="">Any</option><option value="true">Opted out (STOP)</option><option value="false">Receiving alerts</option>
      </select>
    </div>
    <div class="nhsuk-form-group bs-filters__item">
      <label class="nhsuk-label" for="filter-number">Phone number</label>
      <select class="nhsuk-select" id="filter-number" name="number">
        <option value="">Any</option><option value="unverified">Not confirmed (no JOIN yet)</option><option value="undeliverable">Last text failed</option><option value="verified">Confirmed</option>
      </select>
    </div>
    <button class="nhsuk-button nhsuk-button--secondary bs-filters__item" type="submit">Search</button>
  </form>
  <p class="nhsuk-body-s" id="verification-summary" hidden></p>

  <p class="nhsuk-body bs-toolbar">
    <button class="nhsuk-button bs-toolbar__item" type="button" id="add">Add a member</button>
    <a class="bs-toolbar__item" href="#upload-title">Upload a spreadsheet (CSV)</a>
  </p>

  <section id="editor" class="nhsuk-card" aria-labelledby="editor-title" hidden>
    <div class="nhsuk-card__content">
    <h2 class="nhsuk-card__heading nhsuk-heading-m" id="editor-title">Add a member</h2>
    <form id="member-form" novalidate>
      <div class="nhsuk-form-group" id="f-name-group">
        <label class="nhsuk-label" for="f-name">Full name</label>
        <p class="nhsuk-error-message" id="f-name-error" hidden></p>
        <input class="nhsuk-input" id="f-name" name="name" type="text" maxlength="200" autocomplete="off" aria-describedby="f-name-error">
      </div>
      <div class="nhsuk-form-group" id="f-phone-group">
        <label class="nhsuk-label" for="f-phone">Mobile number</label>
        <div class="nhsuk-hint" id="f-phone-hint">For example, 07700 900123</div>
        <p class="nhsuk-error-message" id="f-phone-error" hidden></p>
        <input class="nhsuk-input nhsuk-input--width-20" id="f-phone" name="phone" type="tel" maxlength="40" autocomplete="off" aria-describedby="f-phone-hint f-phone-error">
      </div>
      <div class="nhsuk-form-group" id="f-org-group">
        <label class="nhsuk-label" for="f-org">Organisation</label>
        <p class="nhsuk-error-message" id="f-org-error" hidden></p>
        <input class="nhsuk-input" id="f-org" name="organisation" type="text" maxlength="200" autocomplete="off" aria-describedby="f-org-error">
      </div>
      <div class="nhsuk-form-group" id="f-email-group">
        <label class="nhsuk-label" for="f-email">Email (optional)</label>
        <p class="nhsuk-error-message" id="f-email-error" hidden></p>
        <input class="nhsuk-input" id="f-email" name="email" type="email" maxlength="320" autocomplete="off" spellcheck="false" aria-describedby="f-email-error">
      </div>
      <div class="nhsuk-form-group" id="f-role-group">
        <label class="nhsuk-label" for="f-role">Role</label>
        <div class="nhsuk-hint" id="f-role-hint">Admins may follow up any alert and use these pages.</div>
        <select class="nhsuk-select" id="f-role" name="role" aria-describedby="f-role-hint"><option value="member">Member</option><option value="admin">Admin</option></select>
      </div>
      <p class="nhsuk-body-s" id="f-optedout" hidden></p>
      <div class="bs-toolbar">
        <button class="nhsuk-button bs-toolbar__item" type="submit" id="save">Save member</button>
        <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="cancel-edit">Cancel</button>
      </div>
    </form>
    </div>
  </section>

  <section id="confirm-delete" class="nhsuk-card nhsuk-card--warning" aria-labelledby="confirm-delete-title" hidden tabindex="-1">
    <div class="nhsuk-card__content">
      <h2 class="nhsuk-card__heading nhsuk-heading-m" id="confirm-delete-title">Remove this member?</h2>
      <p class="nhsuk-body" id="confirm-delete-text"></p>
      <div class="bs-toolbar">
        <button class="nhsuk-button nhsuk-button--warning bs-toolbar__item" type="button" id="confirm-delete-yes">Yes, remove</button>
        <button class="nhsuk-button nhsuk-button--secondary bs-toolbar__item" type="button" id="confirm-delete-no">No, keep</button>
      </div>
    </div>
  </section>

  <h2 class="nhsuk-heading-m" id="count" aria-live="polite"></h2>
  <table class="nhsuk-table-responsive" id="members">
    <caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Members, by name</caption>
    <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
      <th class="nhsuk-table__header" scope="col">Name</th>
      <th class="nhsuk-table__header" scope="col">Organisation</th>
      <th class="nhsuk-table__header" scope="col">Phone</th>
      <th class="nhsuk-table__header" scope="col">Status</th>
      <th class="nhsuk-table__header" scope="col"><span class="nhsuk-u-visually-hidden">Actions</span></th>
    </tr></thead>
    <tbody class="nhsuk-table__body" id="members-body"></tbody>
  </table>
  <nav class="nhsuk-pagination" role="navigation" aria-label="Pages of members">
    <p class="bs-toolbar">
      <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item" type="button" id="prev">Previous page</button>
      <span class="bs-toolbar__item nhsuk-body-s" id="page"></span>
      <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item" type="button" id="next">Next page</button>
    </p>
  </nav>

  <section aria-labelledby="upload-title">
    <h2 class="nhsuk-heading-m" id="upload-title">Upload a spreadsheet</h2>
    <form id="upload-form" novalidate>
      <div class="nhsuk-form-group" id="upload-group">
        <label class="nhsuk-label" for="upload-file">CSV file</label>
        <div class="nhsuk-hint" id="upload-hint">Header row: name, phone, email, organisation, role (forum_username optional). Save from Excel as "CSV UTF-8". A member is matched by phone number: a row for a known number updates them.</div>
        <p class="nhsuk-error-message" id="upload-error" hidden></p>
        <input class="nhsuk-file-upload" id="upload-file" name="file" type="file" accept=".csv,text/csv" aria-describedby="upload-hint upload-error">
      </div>
      <button class="nhsuk-button nhsuk-button--secondary" type="submit" id="upload">Upload</button>
    </form>
    <div id="report" hidden>
      <h3 class="nhsuk-heading-s" id="report-title" tabindex="-1">Upload report</h3>
      <ul class="bs-counts" id="report-counts" aria-label="Rows by outcome"></ul>
      <table class="nhsuk-table-responsive" id="report-rows">
        <caption class="nhsuk-table__caption">Rows not saved</caption>
        <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
          <th class="nhsuk-table__header" scope="col">Line</th>
          <th class="nhsuk-table__header" scope="col">Reason</th>
        </tr></thead>
        <tbody class="nhsuk-table__body" id="report-body"></tbody>
      </table>
    </div>
  </section>
</div>
`;

export function registerMembersPage(app: FastifyInstance, _deps: RouteDeps): void {
  servePage(app, MEMBERS_PATH, page({ title: 'Members', main: MAIN, homeHref: MEMBERS_PATH, script: 'members.js' }));
}
