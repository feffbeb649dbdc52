// @ts-check
// The organisations view of a peer alert on the dashboard (markup: src/web/dashboard-orgs.ts).
// dashboard.js announces the alert it shows with a 'batsignal:alert' event on every refresh; this
// module then reads GET /api/alerts/:n/organisations and shows the counts, a sortable table and,
// for each uncovered organisation, the contacts to phone. Values reach the page through
// textContent only.
import { $, api, cell, clear, el, input, saveBlob, span, tag, when, national, Unauthorised } from './common.js';

/** @typedef {import('./api').AlertDetail} AlertDetail */
/** @typedef {import('./api').CoverageList} CoverageList */
/** @typedef {import('./api').OrganisationCoverage} OrganisationCoverage */

/** @type {Record<string, number>} most serious first */
const SERIOUS = { need_help: 0, affected: 1, not_affected: 2, unknown: 3 };
/** @type {Record<string, [string, string]>} */
const SITUATION = {
  need_help: ['Needs help', 'red'],
  affected: ['Affected', 'orange'],
  not_affected: ['Not affected', 'green'],
  unknown: ['No answer yet', 'grey'],
};
/** @type {Record<string, string>} */
const ROLE = { primary: 'primary contact', deputy: 'deputy', member: 'member' };
/** @type {Record<string, string>} */
const TYPES = {
  trust: 'Trust',
  gp_practice: 'GP practice',
  icb: 'ICB',
  csu: 'CSU',
  local_authority: 'Local authority',
  social_care: 'Social care',
  other: 'Other',
};

/** @type {[keyof import('./api').CoverageSummary, string, string][]} */
const COUNTS = [
  ['targeted', 'Organisations', ''],
  ['covered', 'Covered', 'good'],
  ['uncovered', 'Uncovered', 'warn'],
  ['needHelp', 'Need help', 'bad'],
  ['affected', 'Affected', 'bad'],
  ['notAffected', 'Not affected', 'good'],
  ['escalated', 'Escalated to deputies', ''],
];

let seq = 0;
/** @type {number | null} */
let shownAlert = null;
/** @type {CoverageList | null} */
let data = null;
let sortKey = 'attention';
let descending = false;
let lastKey = '';

/** @param {OrganisationCoverage} o */
const label = (o) => o.name ?? o.odsCode;
/** @param {OrganisationCoverage} a @param {OrganisationCoverage} b */
const byName = (a, b) => label(a).localeCompare(label(b), 'en-GB');

/** @type {Record<string, (a: OrganisationCoverage, b: OrganisationCoverage) => number>} */
const COMPARE = {
  name: byName,
  covered: (a, b) => Number(a.covered) - Number(b.covered),
  situation: (a, b) => (SERIOUS[a.situation] ?? 9) - (SERIOUS[b.situation] ?? 9),
  acknowledged: (a, b) => a.acknowledged / Math.max(a.recipients, 1) - b.acknowledged / Math.max(b.recipients, 1) || a.acknowledged - b.acknowledged,
  // Need help, then uncovered, then affected: whom to deal with first.
  attention: (a, b) =>
    Number(b.situation === 'need_help') - Number(a.situation === 'need_help') ||
    Number(a.covered) - Number(b.covered) ||
    Number(b.situation === 'affected') - Number(a.situation === 'affected'),
};

/** @param {OrganisationCoverage[]} rows */
function sorted(rows) {
  const cmp = COMPARE[sortKey] ?? byName;
  const dir = descending ? -1 : 1;
  return [...rows].sort((a, b) => dir * cmp(a, b) || byName(a, b));
}

/** @param {OrganisationCoverage} o */
function filtered(o) {
  const state = input('org-state').value;
  if (state === 'uncovered') return !o.covered;
  if (state === 'covered') return o.covered;
  if (state === 'need_help' || state === 'affected') return o.situation === state;
  return true;
}

/** @param {OrganisationCoverage} o */
function whoToCall(o) {
  if (o.covered) return span(o.lastAckAt ? `Acknowledged ${when(o.lastAckAt)}` : 'Acknowledged');
  const contacts = o.contacts ?? [];
  if (contacts.length === 0) return span(tag('No contact in the directory', 'red'));
  const list = el('ul', 'nhsuk-list bs-contacts');
  for (const c of contacts) {
    const li = el('li');
    const tel = el('a', 'bs-tel', national(c.phone));
    tel.href = `tel:${c.phone}`;
    tel.setAttribute('aria-label', `Call ${c.name} on ${national(c.phone)}`);
    li.append(el('span', 'bs-block', `${c.name} (${ROLE[c.contactRole] ?? c.contactRole})${c.optedOut ? ', opted out of texts' : ''}`), tel);
    list.append(li);
  }
  return list;
}

function renderHeaders() {
  for (const th of document.querySelectorAll('#org-table th[data-sort-col]')) {
    if (!(th instanceof HTMLElement)) continue;
    if (th.dataset.sortCol === sortKey) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
    else th.removeAttribute('aria-sort');
  }
  input('org-sort').value = sortKey;
}

function render() {
  if (!data) return;
  const s = data.summary;
  const list = $('org-counts');
  clear(list);
  for (const [key, name, colour] of COUNTS) {
    const li = el('li', `bs-count${colour ? ` bs-count--${colour}` : ''}`);
    li.dataset.orgCount = key;
    const v = s[key];
    li.append(el('span', 'bs-count__value', typeof v === 'number' ? v : ''), el('span', 'bs-count__label', name));
    list.append(li);
  }
  const no = s.noOrganisation;
  $('org-noorg').hidden = no.recipients === 0;
  $('org-noorg').textContent =
    no.recipients === 0 ? '' : `And ${no.recipients} ${no.recipients === 1 ? 'recipient' : 'recipients'} with no organisation in the directory (${no.acknowledged} acknowledged).`;

  const rows = sorted(data.organisations.filter(filtered));
  $('org-none').hidden = rows.length > 0;
  $('org-table').hidden = rows.length === 0;
  renderHeaders();
  const key = JSON.stringify([sortKey, descending, rows]);
  if (key === lastKey) return;
  lastKey = key;
  const body = $('org-body');
  clear(body);
  for (const o of rows) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.ods = o.odsCode;
    const type = o.type ? TYPES[o.type] ?? o.type : null;
    const name = el('span', 'bs-block');
    name.append(el('strong', null, label(o)));
    tr.append(cell('Name', span(name, el('span', 'nhsuk-body-s bs-block', [o.odsCode, type, o.region].filter(Boolean).join(' · ')))));
    tr.append(
      cell(
        'Covered',
        span(o.covered ? tag('Covered', 'green') : tag('Uncovered', 'red'), o.escalatedAt ? el('span', 'bs-block nhsuk-body-s', `Deputies alerted ${when(o.escalatedAt)}`) : null),
      ),
    );
    const [sit, colour] = SITUATION[o.situation] ?? [o.situation, 'grey'];
    tr.append(cell('Situation', tag(sit, colour)));
    tr.append(cell('Acknowledged', `${o.acknowledged} of ${o.recipients}`));
    tr.append(cell('Who to call', whoToCall(o)));
    body.append(tr);
  }
}

/** @param {AlertDetail} a */
async function load(a) {
  const mine = ++seq;
  if (a.kind === 'advisory') {
    $('orgs').hidden = true;
    return;
  }
  if (shownAlert !== a.number) {
    shownAlert = a.number;
    data = null;
    lastKey = '';
  }
  try {
    /** @type {CoverageList} */
    const r = await api(`/api/alerts/${a.number}/organisations`);
    if (mine !== seq) return;
    data = r;
    // Members with no organisation only: the view says nothing the counts above do not.
    $('orgs').hidden = r.summary.targeted === 0;
    render();
  } catch (err) {
    if (mine !== seq || err instanceof Unauthorised) return; // the dashboard asks for the token again
    $('org-noorg').hidden = false;
    $('org-noorg').textContent = `Could not load the organisations (${err instanceof Error ? err.message : String(err)}). Trying again.`;
  }
}

/** @param {string} key */
function sortBy(key) {
  if (key === sortKey) descending = !descending;
  else {
    sortKey = key;
    descending = false;
  }
  render();
}

document.addEventListener('batsignal:alert', (e) => void load(/** @type {CustomEvent<AlertDetail>} */ (e).detail));
$('org-table').addEventListener('click', (e) => {
  const b = e.target instanceof Element ? e.target.closest('button[data-sort]') : null;
  if (b instanceof HTMLButtonElement && b.dataset.sort) sortBy(b.dataset.sort);
});
input('org-sort').addEventListener('change', () => {
  sortKey = input('org-sort').value;
  descending = false;
  render();
});
input('org-state').addEventListener('change', render);
$('org-csv').addEventListener('click', async () => {
  if (shownAlert === null) return;
  const state = input('org-state').value;
  try {
    saveBlob(await api(`/api/alerts/${shownAlert}/organisations?state=${encodeURIComponent(state)}`, { accept: 'text/csv' }), `batsignal-${shownAlert}-organisations-${state}.csv`);
  } catch (err) {
    $('org-noorg').hidden = false;
    $('org-noorg').textContent = `Could not download the CSV (${err instanceof Error ? err.message : String(err)}).`;
  }
});
