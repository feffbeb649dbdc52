// @ts-check
// National advisories on the dashboard (markup: src/web/dashboard-advisory.ts).
// 1. The form -> Preview (POST /api/advisories with dryRun: the organisations it reaches and through
//    which contacts, estate unknown, unreachable; nothing is sent) -> an explicit Send of exactly
//    what was previewed. Refusals (empty target, unknown ODS code, too long...) are listed as the
//    server words them, with plainer words for the common ones.
// 2. Under an advisory (dashboard.js fires 'batsignal:alert' with kind 'advisory'): the responses
//    from GET /api/advisories/:n/organisations: responded on time %, affected, not affected,
//    resolved, overdue, unreachable, and who to chase with their numbers.
// Values reach the page through textContent only.
import { $, api, ApiError, button, cell, clear, el, form, input, national, saveBlob, span, tag, Unauthorised, when } from './common.js';

/** @typedef {import('./api').AlertDetail} AlertDetail */
/**
 * @typedef {{ memberId: number, name: string, phone: string, odsCode: string | null, route: 'direct' | 'via_support' }} PreviewContact
 * @typedef {{ odsCode: string, name: string, type: string, routing: string, estateUnknown: boolean, reachable: boolean, contacts: PreviewContact[] }} PreviewOrg
 * @typedef {{ number: number | null, dryRun: boolean, respondBy: string | null,
 *   organisations: { targeted: number, reachable: number, unreachable: number, estateUnknown: number },
 *   recipients: number, texts: number, emails: number, unreachableOrganisations: { odsCode: string, name: string }[], preview?: PreviewOrg[] }} IssueAnswer
 * @typedef {{ odsCode: string, name: string, type: string, routing: string, estateUnknown: boolean, reachable: boolean,
 *   response: 'no_response' | 'acknowledged' | 'affected' | 'not_affected' | 'resolved', respondedAt: string | null, respondedBy: string | null,
 *   onTime: boolean | null, overdue: boolean, needHelp: boolean, remindedAt: string | null, escalatedAt: string | null,
 *   contacts: { name: string, phone: string, route: string }[] }} ResponseRow
 * @typedef {{ targeted: number, responded: number, onTime: number, affected: number, notAffected: number, resolved: number,
 *   overdue: number, unreachable: number, needHelp: number, estateUnknown: number }} ResponseSummary
 * @typedef {{ advisory: { number: number, title: string, severity: string, respondBy: string | null, exercise: boolean, createdAt: string },
 *   summary: ResponseSummary, organisations: ResponseRow[] }} ResponsePage
 */

/** @type {Record<string, string>} */
const TYPES = { trust: 'Trust', gp_practice: 'GP practice', icb: 'ICB', csu: 'CSU', local_authority: 'Local authority', social_care: 'Social care', other: 'Other' };
/** @type {Record<string, string>} */
const ROUTING = { direct: 'its own contacts', via_support: 'its IT support unit', both: 'its own contacts and its IT support unit' };
/** @type {Record<string, string>} how a contact came to answer for the organisation */
const ROUTE = { via_support: ' (IT support unit)', deputy: ' (deputy, at the deadline)', own_primary: ' (own primary contact, at the deadline)' };
/** @type {Record<string, [string, string]>} */
const RESPONSE = {
  no_response: ['No response', 'grey'],
  acknowledged: ['Acknowledged', 'blue'],
  affected: ['Affected', 'orange'],
  not_affected: ['Not affected', 'green'],
  resolved: ['Resolved', 'aqua-green'],
};

/** @param {number} n @param {string} one @param {string} [many] */
const plural = (n, one, many) => `${n} ${n === 1 ? one : many ?? `${one}s`}`;

// ---- The form, the preview and Send.

/** @type {Record<string, unknown> | null} */
let previewed = null;

/** Plainer words for the refusals an admin meets most; anything else as the server said it. @param {string} p */
function plain(p) {
  if (/^target is empty/.test(p)) return 'Choose who it goes to: tick types of organisation, or fill in regions, ODS codes or products, or tick "Every organisation". An advisory to nobody is refused.';
  if (/^title is required/.test(p)) return 'Enter a title.';
  if (/^body is required/.test(p)) return 'Enter the details (they go by email).';
  if (/^severity must be/.test(p)) return 'Choose a severity: high, medium or low.';
  if (/^target\.all cannot be combined/.test(p)) return '"Every organisation" cannot be combined with types, regions, ODS codes or products: untick it, or empty those boxes.';
  const unknown = /^unknown ODS codes? in target\.odsCodes: ([^.]*)/i.exec(p);
  if (unknown) return `Not in the organisation directory: ${unknown[1]}. Check the ODS codes.`;
  if (/^respondWithinHours/.test(p)) return 'Respond within must be a whole number of hours from 1 to 2160, or left empty.';
  return p.charAt(0).toUpperCase() + p.slice(1);
}

/** @param {string[]} list */
function problems(list) {
  const box = $('adv-problem');
  box.hidden = list.length === 0;
  const ul = $('adv-problem-list');
  clear(ul);
  for (const p of list) ul.append(el('li', null, p));
  if (list.length > 0) box.focus();
}

/** @param {unknown} err */
function refused(err) {
  if (err instanceof Unauthorised) {
    problems(['The admin token was not accepted: sign in again.']);
    return;
  }
  if (err instanceof ApiError && err.status === 400) problems(err.message.split(/;\s+/).map(plain));
  else problems([err instanceof Error ? err.message : String(err)]);
}

/** @param {string} v @param {RegExp} sep */
const list = (v, sep) => v.split(sep).map((s) => s.trim()).filter((s) => s !== '');

/** @param {string} id */
const checked = (id) => {
  const e = input(id);
  return e instanceof HTMLInputElement && e.checked;
};

function readForm() {
  /** @type {Record<string, unknown>} */
  const target = {};
  if (checked('adv-all')) target.all = true;
  const types = [...document.querySelectorAll('input[name="adv-type"]:checked')].map((e) => (e instanceof HTMLInputElement ? e.value : ''));
  if (types.length > 0) target.types = types;
  const regions = list(input('adv-regions').value, /,/);
  if (regions.length > 0) target.regions = regions;
  const ods = list(input('adv-ods').value, /[\s,]+/);
  if (ods.length > 0) target.odsCodes = ods;
  const products = list(input('adv-products').value, /[,\n]/);
  if (products.length > 0) target.products = products;
  /** @type {Record<string, unknown>} */
  const body = { title: input('adv-title').value, body: input('adv-body').value, target, exercise: checked('adv-exercise') };
  const sev = document.querySelector('input[name="adv-severity"]:checked');
  if (sev instanceof HTMLInputElement) body.severity = sev.value;
  const hours = input('adv-hours').value.trim();
  if (hours !== '') body.respondWithinHours = /^[0-9]+$/.test(hours) ? Number(hours) : hours;
  return body;
}

function openForm() {
  $('action').hidden = true; // one panel at a time
  $('notice').hidden = true;
  previewed = null;
  problems([]);
  $('advisory').hidden = false;
  form('adv-form').hidden = false;
  $('adv-confirm').hidden = true;
  $('adv-title-heading').focus();
}

function closeForm() {
  $('advisory').hidden = true;
  previewed = null;
}

/** @param {PreviewContact} c */
function contactLine(c) {
  const li = el('li');
  const tel = el('a', 'bs-tel', national(c.phone));
  tel.href = `tel:${c.phone}`;
  li.append(el('span', 'bs-block', `${c.name}${c.route === 'via_support' ? `, via IT support unit${c.odsCode ? ` ${c.odsCode}` : ''}` : ', direct'}`), tel);
  return li;
}

/** @param {IssueAnswer} r @param {boolean} exercise */
function renderPreview(r, exercise) {
  const o = r.organisations;
  const due = r.respondBy ? `Each organisation is asked to respond by ${when(r.respondBy)}.` : 'No response deadline (low severity).';
  $('adv-reach').textContent =
    `It would reach ${plural(o.reachable, 'organisation')} through ${plural(r.recipients, 'contact')} ` +
    `(one text each, however many organisations they answer for). ${due}` +
    (exercise ? ' Marked as an EXERCISE in every text and email.' : '');
  const counts = $('adv-preview-counts');
  clear(counts);
  /** @type {[string, number, string, string][]} */
  const items = [
    ['targeted', o.targeted, 'Organisations targeted', ''],
    ['reachable', o.reachable, 'Reachable', 'good'],
    ['unreachable', o.unreachable, 'Unreachable', o.unreachable > 0 ? 'bad' : ''],
    ['estateUnknown', o.estateUnknown, 'Estate unknown', o.estateUnknown > 0 ? 'warn' : ''],
    ['recipients', r.recipients, 'Contacts texted', ''],
  ];
  for (const [key, v, label, colour] of items) {
    const li = el('li', `bs-count${colour ? ` bs-count--${colour}` : ''}`);
    li.dataset.advPreview = key;
    li.append(el('span', 'bs-count__value', v), el('span', 'bs-count__label', label));
    counts.append(li);
  }
  $('adv-unreachable').hidden = r.unreachableOrganisations.length === 0;
  $('adv-unreachable-text').textContent = `${plural(r.unreachableOrganisations.length, 'organisation')} in the target ${r.unreachableOrganisations.length === 1 ? 'has' : 'have'} no contact to text (no primary contact, or only opted-out ones). Phone or add a contact on the Members page:`;
  const ul = $('adv-unreachable-list');
  clear(ul);
  for (const u of r.unreachableOrganisations) ul.append(el('li', null, `${u.name} (${u.odsCode})`));

  const body = $('adv-preview-body');
  clear(body);
  for (const p of r.preview ?? []) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.ods = p.odsCode;
    const name = el('span', 'bs-block');
    name.append(el('strong', null, p.name));
    tr.append(cell('Name', span(name, el('span', 'nhsuk-body-s bs-block', `${p.odsCode} · ${TYPES[p.type] ?? p.type} · through ${ROUTING[p.routing] ?? p.routing}`))));
    tr.append(cell('Estate', p.estateUnknown ? tag('Estate unknown', 'orange') : 'Listed'));
    if (!p.reachable) tr.append(cell('Reached through', tag('Unreachable', 'red')));
    else {
      const contacts = el('ul', 'nhsuk-list bs-contacts');
      for (const c of p.contacts) contacts.append(contactLine(c));
      tr.append(cell('Reached through', contacts));
    }
    body.append(tr);
  }
  button('adv-send').textContent = `Send advisory to ${plural(r.recipients, 'contact')}`;
}

async function preview() {
  problems([]);
  const body = readForm();
  try {
    /** @type {IssueAnswer} */
    const r = await api('/api/advisories', { body: { ...body, dryRun: true } });
    previewed = body;
    renderPreview(r, body.exercise === true);
    form('adv-form').hidden = true;
    $('adv-confirm').hidden = false;
    $('adv-confirm-title').focus();
  } catch (err) {
    refused(err);
  }
}

async function send() {
  if (!previewed) return;
  const b = button('adv-send');
  b.disabled = true;
  try {
    /** @type {IssueAnswer} */
    const r = await api('/api/advisories', { body: { ...previewed, dryRun: false } });
    closeForm();
    $('notice').hidden = false;
    $('notice-text').textContent =
      `Advisory #${r.number} sent: ${plural(r.texts, 'text')} to ${plural(r.recipients, 'contact')} for ${plural(r.organisations.reachable, 'organisation')}` +
      (r.emails > 0 ? `, and ${plural(r.emails, 'email')}.` : '.') +
      (r.organisations.unreachable > 0 ? ` ${plural(r.organisations.unreachable, 'organisation')} could not be reached.` : '');
    location.hash = `#alert-${r.number}`;
  } catch (err) {
    refused(err);
    $('adv-confirm').hidden = true;
    form('adv-form').hidden = false;
  } finally {
    b.disabled = false;
  }
}

$('adv-open').addEventListener('click', openForm);
$('adv-cancel').addEventListener('click', closeForm);
$('adv-change').addEventListener('click', () => {
  $('adv-confirm').hidden = true;
  form('adv-form').hidden = false;
  input('adv-title').focus();
});
form('adv-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void preview();
});
$('adv-send').addEventListener('click', () => void send());
// The dashboard's own panels close this one.
for (const id of ['raise-open', 'update-open', 'allclear-open']) $(id).addEventListener('click', closeForm);

// ---- Responses under an advisory.

let seq = 0;
/** @type {number | null} */
let shown = null;
let lastKey = '';

/** @param {{ name: string, phone: string, route: string }[]} contacts */
function callList(contacts) {
  const ul = el('ul', 'nhsuk-list bs-contacts');
  for (const c of contacts) {
    const li = el('li');
    const tel = el('a', 'bs-tel', national(c.phone));
    tel.href = `tel:${c.phone}`;
    tel.setAttribute('aria-label', `Call ${c.name} on ${national(c.phone)}`);
    li.append(el('span', 'bs-block', `${c.name}${ROUTE[c.route] ?? ''}`), tel);
    ul.append(li);
  }
  return ul;
}

/** @param {ResponseRow} o */
function orgName(o) {
  const name = el('span', 'bs-block');
  name.append(el('strong', null, o.name));
  return span(name, el('span', 'nhsuk-body-s bs-block', `${o.odsCode} · ${TYPES[o.type] ?? o.type}${o.estateUnknown ? ' · estate unknown' : ''}`));
}

/** @param {ResponseRow} o */
const chaseRank = (o) => (o.needHelp ? 0 : !o.reachable ? 3 : o.overdue ? 1 : 2);

/** @param {ResponsePage} r */
function renderResponses(r) {
  const s = r.summary;
  const a = r.advisory;
  const pct = s.targeted === 0 ? 0 : Math.round((100 * s.onTime) / s.targeted);
  const due = a.respondBy
    ? new Date(a.respondBy).getTime() <= Date.now() || r.organisations.some((o) => o.overdue) // the server's clock says so too
      ? `Responses were due by ${when(a.respondBy)}: the deadline has passed.`
      : `Responses due by ${when(a.respondBy)}.`
    : 'No response deadline (low severity).';
  $('adv-deadline').textContent = `${a.severity.charAt(0).toUpperCase()}${a.severity.slice(1)} severity. ${due}`;
  const counts = $('adv-counts');
  clear(counts);
  /** @type {[string, string | number, string, string][]} */
  const items = [
    ['targeted', s.targeted, 'Organisations', ''],
    ['onTimePercent', `${pct}%`, `Responded on time (${s.onTime} of ${s.targeted})`, pct >= 80 ? 'good' : 'warn'],
    ['responded', s.responded, 'Responded', ''],
    ['affected', s.affected, 'Affected', 'bad'],
    ['notAffected', s.notAffected, 'Not affected', 'good'],
    ['resolved', s.resolved, 'Resolved', 'good'],
    ['overdue', s.overdue, 'Overdue', s.overdue > 0 ? 'bad' : ''],
    ['unreachable', s.unreachable, 'Unreachable', s.unreachable > 0 ? 'bad' : ''],
    ['needHelp', s.needHelp, 'Need help', s.needHelp > 0 ? 'bad' : ''],
    ['estateUnknown', s.estateUnknown, 'Estate unknown', ''],
  ];
  for (const [key, v, label, colour] of items) {
    const li = el('li', `bs-count${colour ? ` bs-count--${colour}` : ''}`);
    li.dataset.advCount = key;
    li.append(el('span', 'bs-count__value', v), el('span', 'bs-count__label', label));
    counts.append(li);
  }

  const key = JSON.stringify(r.organisations);
  if (key === lastKey) return;
  lastKey = key;
  const chase = r.organisations.filter((o) => o.response === 'no_response' || o.needHelp).sort((x, y) => chaseRank(x) - chaseRank(y) || x.name.localeCompare(y.name, 'en-GB'));
  $('adv-chase-title').textContent = `Who to chase (${chase.length})`;
  $('adv-chase-none').hidden = chase.length > 0;
  $('adv-chase').hidden = chase.length === 0;
  const cb = $('adv-chase-body');
  clear(cb);
  for (const o of chase) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.ods = o.odsCode;
    tr.append(cell('Name', orgName(o)));
    const why = o.needHelp
      ? tag('Needs help', 'red')
      : !o.reachable
        ? tag('Unreachable', 'red')
        : o.overdue
          ? tag('Overdue', 'red')
          : span(tag('No response yet', 'grey'), o.remindedAt ? el('span', 'bs-block nhsuk-body-s', `Reminded ${when(o.remindedAt)}`) : null);
    tr.append(cell('Why', why));
    tr.append(cell('Who to call', o.contacts.length > 0 ? callList(o.contacts) : el('span', null, 'No contact for this advisory: find one in the directory.')));
    cb.append(tr);
  }

  const ab = $('adv-all-body');
  clear(ab);
  for (const o of [...r.organisations].sort((x, y) => x.name.localeCompare(y.name, 'en-GB'))) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.ods = o.odsCode;
    tr.append(cell('Name', orgName(o)));
    const [label, colour] = RESPONSE[o.response] ?? [o.response, 'grey'];
    tr.append(
      cell(
        'Response',
        span(
          tag(label, colour),
          o.needHelp ? tag('Needs help', 'red') : null,
          o.onTime === true ? 'on time' : o.onTime === false ? 'late' : o.overdue ? tag('Overdue', 'red') : null,
          o.reachable ? null : tag('Unreachable', 'red'),
        ),
      ),
    );
    tr.append(cell('Answered by', o.respondedBy ? `${o.respondedBy}, ${when(o.respondedAt)}` : ''));
    ab.append(tr);
  }
}

/** @param {AlertDetail} a */
async function load(a) {
  const mine = ++seq;
  if (a.kind !== 'advisory') {
    $('adv-view').hidden = true;
    shown = null;
    return;
  }
  if (shown !== a.number) lastKey = '';
  shown = a.number;
  try {
    /** @type {ResponsePage} */
    const r = await api(`/api/advisories/${a.number}/organisations`);
    if (mine !== seq) return;
    $('adv-view').hidden = false;
    renderResponses(r);
  } catch (err) {
    if (mine !== seq || err instanceof Unauthorised) return; // the dashboard asks for the token again
    $('adv-view').hidden = false;
    $('adv-deadline').textContent = `Could not load the responses (${err instanceof Error ? err.message : String(err)}). Trying again.`;
  }
}

document.addEventListener('batsignal:alert', (e) => void load(/** @type {CustomEvent<AlertDetail>} */ (e).detail));
$('adv-csv').addEventListener('click', async () => {
  if (shown === null) return;
  const n = shown;
  try {
    saveBlob(await api(`/api/advisories/${n}/organisations`, { accept: 'text/csv' }), `advisory-${n}-responses.csv`);
  } catch (err) {
    $('adv-deadline').textContent = `Could not download the CSV (${err instanceof Error ? err.message : String(err)}).`;
  }
});
