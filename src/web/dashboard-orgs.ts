// The dashboard's organisations view of a peer alert (filled by src/web/public/organisations.js from
// GET /api/alerts/:n/organisations): covered / uncovered / need help / affected, a sortable table,
// and for each uncovered organisation its contacts with numbers to call. No data in the markup.

const SORTS: [string, string][] = [
  ['attention', 'Needs attention first'],
  ['name', 'Name'],
  ['covered', 'Covered'],
  ['situation', 'Situation'],
  ['acknowledged', 'Acknowledged'],
];

const header = (key: string, label: string) =>
  `<th class="nhsuk-table__header" scope="col" data-sort-col="${key}"><button class="bs-sort" type="button" data-sort="${key}">${label}</button></th>`;

export const ORGANISATIONS_VIEW = `
    <section id="orgs" aria-labelledby="orgs-title" hidden>
      <h3 class="nhsuk-heading-m" id="orgs-title">Organisations</h3>
      <ul class="bs-counts" id="org-counts" aria-label="Organisations"></ul>
      <p class="nhsuk-body-s" id="org-noorg" hidden></p>
      <div class="bs-filters">
        <div class="nhsuk-form-group bs-filters__item">
          <label class="nhsuk-label" for="org-state">Show</label>
          <select class="nhsuk-select" id="org-state">
            <option value="all">All organisations</option>
            <option value="uncovered">Uncovered (nobody has acknowledged)</option>
            <option value="need_help">Need help</option>
            <option value="affected">Affected</option>
            <option value="covered">Covered</option>
          </select>
        </div>
        <div class="nhsuk-form-group bs-filters__item">
          <label class="nhsuk-label" for="org-sort">Sort by</label>
          <select class="nhsuk-select" id="org-sort">
            ${SORTS.map(([v, l]) => `<option value="${v}">${l}</option>`).join('')}
          </select>
        </div>
        <div class="nhsuk-form-group bs-filters__item">
          <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item" type="button" id="org-csv">Download organisations (CSV)</button>
        </div>
      </div>
      <p class="nhsuk-body" id="org-none" hidden>No organisations in this view.</p>
      <table class="nhsuk-table-responsive bs-orgs" id="org-table">
        <caption class="nhsuk-table__caption nhsuk-u-visually-hidden" id="org-caption">Organisations the alert reached</caption>
        <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
          ${header('name', 'Organisation')}
          ${header('covered', 'Covered')}
          ${header('situation', 'Situation')}
          ${header('acknowledged', 'Acknowledged')}
          <th class="nhsuk-table__header" scope="col">Who to call</th>
        </tr></thead>
        <tbody class="nhsuk-table__body" id="org-body"></tbody>
      </table>
    </section>`;
