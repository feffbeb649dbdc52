// @ts-check
// The alerts dashboard (/dashboard). It asks for the admin token (or a signed-in session), keeps it
// in sessionStorage for this tab and reads the JSON API with it. Every value from the API reaches
// the page through textContent, never as markup. It polls every 2 s and rebuilds a table only
// when it changed.
import './organisations.js';
import './advisories.js';
import { $, api, button, cell, clear, el, fieldError, form, getToken, input, saveBlob, setToken, span, tag, takeTokenFromHash, Unauthorised, ApiError, when } from './common.js';
import { signOut, wirePhoneSignin } from './signin.js';
import './chart.js'; // the chart of the alert shown (follows 'batsignal:alert')

/** @typedef {import('./api').AlertList} AlertList */
/** @typedef {import('./api').AlertDetail} AlertDetail */
/** @typedef {import('./api').RecipientPage} RecipientPage */
/** @typedef {import('./api').OptOutPage} OptOutPage */

const POLL_MS = 2000;
/** Recipients per page of the "Not acknowledged" table (the API's default page). */
const PAGE = 100;
/** First row of the page of non-responders shown; back to 0 when another alert is shown. */
let recipientsOffset = 0;
/** First row of the page of opted-out members shown. */
let optOutsOffset = 0;
let lastOptOutsKey = '';
/** @type {ReturnType<typeof setTimeout> | null} */
let timer = null;
let seq = 0;
let lastRowsKey = '';
let lastListKey = '';
/** @type {number | null} */
let current = null;

function selected() {
  const m = /^#alert-([0-9]{1,9})$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

/** @param {string} iso */
function ago(iso) {
  const min = Math.floor((Date.now() - new Date(iso).getTime()) / 60000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min ago`;
  return `${Math.floor(h / 24)} days ago`;
}

/** @param {string} [message] */
function showSignin(message) {
  stop();
  seq++;
  current = null;
  lastRowsKey = '';
  lastListKey = '';
  $('board').hidden = true;
  $('signin').hidden = false;
  fieldError('token-group', 'token', 'token-error', message ?? '');
  input('token').value = '';
  input('token').focus();
}

function showBoard() {
  $('signin').hidden = true;
  $('board').hidden = false;
}

/** @param {string} message */
function problem(message) {
  $('problem').hidden = !message;
  $('problem-text').textContent = message;
}

function stop() {
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
}
function schedule() {
  stop();
  timer = setTimeout(refresh, POLL_MS);
}

/** @param {AlertList} data @param {number | null} n */
function renderList(data, n) {
  $('no-alerts').hidden = data.alerts.length > 0;
  $('list').hidden = data.alerts.length === 0;
  $('optouts').textContent =
    data.optedOutMembers === 1 ? '1 member has opted out of alert texts (STOP).' : `${data.optedOutMembers} members have opted out of alert texts (STOP).`;
  const key = JSON.stringify([n, data.alerts]);
  if (key === lastListKey) return;
  lastListKey = key;
  const body = $('alerts-body');
  clear(body);
  for (const a of data.alerts) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.alert = String(a.number);
    const link = el('a', 'bs-summary', `#${a.number} ${a.summary}`);
    link.href = `#alert-${a.number}`;
    if (a.number === n) link.setAttribute('aria-current', 'true');
    tr.append(cell('Alert', span(a.exercise ? tag('Exercise', 'orange') : null, link)));
    const by = a.raiser.organisation ? `${a.raiser.name} (${a.raiser.organisation})` : a.raiser.name;
    tr.append(cell('Raised', `${by}, ${when(a.createdAt)}`));
    tr.append(cell('Acknowledged', `${a.counts.acknowledged} of ${a.counts.recipients}`));
    tr.append(cell('Status', a.status === 'open' ? tag('Open', 'blue') : tag('Closed', 'grey')));
    body.append(tr);
  }
}

/** @type {[string, string, string][]} */
const COUNTS = [
  ['recipients', 'Recipients', ''],
  ['delivered', 'Delivered', 'good'],
  ['failed', 'Failed', 'bad'],
  ['pending', 'Awaiting receipt', ''],
  ['acknowledged', 'Acknowledged', 'good'],
  ['unacknowledged', 'Not acknowledged', 'warn'],
  ['reminded', 'Reminded', ''],
  ['optedOut', 'Opted out since', 'warn'],
];

/** @type {Record<string, string>} */
const HOW = { sms: ' by text', forum: ' on the forum', admin: ' by an admin', web: ' from the dashboard' };
/** @type {Record<string, string>} */
const STATE = { queued: 'Queued', submitted: 'Sent', delivered: 'Delivered', failed: 'Failed' };

/** @param {AlertDetail} a @param {RecipientPage} recipients */
function renderDetail(a, recipients) {
  $('detail').hidden = false;
  $('detail-title').textContent = `Alert #${a.number}`;
  const tags = $('detail-tags');
  clear(tags);
  if (a.exercise) tags.append(tag('Exercise', 'orange'), ' ');
  tags.append(a.status === 'open' ? tag('Open', 'blue') : tag(`Closed ${when(a.closedAt)}`, 'grey'));
  $('exercise-callout').hidden = !a.exercise;
  $('detail-summary').textContent = a.summary;
  const meta = $('detail-meta');
  clear(meta);
  const by = a.raiser.organisation ? `${a.raiser.name} (${a.raiser.organisation})` : a.raiser.name;
  meta.append(
    `Raised by ${by}${HOW[a.source] ?? ''}, ${when(a.createdAt)} (${ago(a.createdAt)}).` + (a.lastAckAt ? ` Last acknowledgement ${ago(a.lastAckAt)}.` : ''),
  );
  if (a.forumUrl && /^https?:\/\//.test(a.forumUrl)) {
    const f = el('a', null, 'Forum topic');
    f.href = a.forumUrl;
    f.rel = 'noopener noreferrer';
    meta.append(' ', f);
  }

  const list = $('counts');
  clear(list);
  for (const [key, label, colour] of COUNTS) {
    const li = el('li', `bs-count${colour ? ` bs-count--${colour}` : ''}`);
    li.dataset.count = key;
    li.append(el('span', 'bs-count__value', a.counts[key]), el('span', 'bs-count__label', label));
    list.append(li);
  }
  const all = el('li', 'bs-count bs-count--warn');
  all.dataset.count = 'optedOutMembers';
  all.append(el('span', 'bs-count__value', a.optedOutMembers), el('span', 'bs-count__label', 'Opted out (all members)'));
  list.append(all);

  $('nonresponders-title').textContent = `Not acknowledged (${recipients.total})`;
  $('nonresponders-none').hidden = recipients.total > 0;
  $('nonresponders').hidden = recipients.count === 0;
  const rows = recipients.recipients;
  const key = JSON.stringify(rows);
  if (key !== lastRowsKey) {
    lastRowsKey = key;
    const body = $('nonresponders-body');
    clear(body);
    for (const r of rows) {
      const tr = el('tr', 'nhsuk-table__row');
      tr.dataset.member = String(r.memberId);
      tr.append(cell('Name', r.name), cell('Organisation', r.organisation));
      const tel = el('a', null, r.phone);
      tel.href = `tel:${r.phone}`;
      tr.append(cell('Phone', tel));
      const state = STATE[r.deliveryState] ?? r.deliveryState;
      tr.append(
        cell(
          'Text',
          span(
            r.deliveryState === 'failed' ? tag(state, 'red') : state,
            r.receiptError ? `(${r.receiptError})` : null,
            r.remindedAt ? `· reminded ${when(r.remindedAt)}` : null,
            r.optedOut ? '· opted out since' : null,
          ),
        ),
      );
      body.append(tr);
    }
  }
  renderPages('nonresponders', recipients);
  document.dispatchEvent(new CustomEvent('batsignal:alert', { detail: a }));
}

/** @param {number} from @param {number} to */
const range = (from, to) => (from === to ? `${from}` : `${from} to ${to}`);

/**
 * Previous/Next (NHS.UK pagination) under a paged table, and which rows are shown.
 * @param {string} prefix the ids' prefix: nonresponders, optouts
 * @param {{ count: number, total: number, limit: number, offset: number }} p
 */
function renderPages(prefix, p) {
  const paged = p.total > p.limit || p.offset > 0;
  $(`${prefix}-pages`).hidden = !paged;
  $(`${prefix}-more`).hidden = !paged || p.count === 0;
  $(`${prefix}-more`).textContent = p.count > 0 ? `Showing ${range(p.offset + 1, p.offset + p.count)} of ${p.total}.` : '';
  const hasPrev = p.offset > 0;
  const hasNext = p.offset + p.count < p.total;
  $(`${prefix}-prev-item`).hidden = !hasPrev;
  $(`${prefix}-next-item`).hidden = !hasNext;
  if (hasPrev) $(`${prefix}-prev-label`).textContent = range(Math.max(0, p.offset - PAGE) + 1, p.offset);
  if (hasNext) $(`${prefix}-next-label`).textContent = range(p.offset + p.count + 1, Math.min(p.offset + p.count + PAGE, p.total));
}

const optOutsUrl = () => `/api/opt-outs?limit=${PAGE}&offset=${optOutsOffset}`;

/** The members opted out of alert texts, a page at a time (none: the section is hidden). @param {OptOutPage | null} p */
function renderOptOuts(p) {
  $('optout-list').hidden = p === null || p.total === 0;
  if (p === null) return;
  $('optout-title').textContent = `Opted out of alert texts (${p.total})`;
  renderPages('optouts', p);
  const key = JSON.stringify(p.members);
  if (key === lastOptOutsKey) return;
  lastOptOutsKey = key;
  const body = $('optout-body');
  clear(body);
  for (const m of p.members) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.member = String(m.memberId);
    tr.append(cell('Name', m.name), cell('Organisation', m.organisation), cell('Phone', m.phone), cell('Since', m.optedOutAt ? when(m.optedOutAt) : 'not recorded'));
    body.append(tr);
  }
}

/** @param {number} n */
const recipientsUrl = (n) => `/api/alerts/${n}/recipients?state=unacknowledged&limit=${PAGE}&offset=${recipientsOffset}`;

/** @param {unknown} err */
function failed(err) {
  if (err instanceof Unauthorised) {
    setToken(null);
    showSignin('That token was not accepted. Check it and try again.');
    return true;
  }
  return false;
}

async function refresh() {
  const mine = ++seq;
  stop();
  if (!getToken()) return showSignin();
  const wanted = selected();
  try {
    /** @type {AlertList} */
    const list = await api('/api/alerts?limit=20');
    const n = wanted ?? list.alerts[0]?.number ?? null;
    if (n !== current) recipientsOffset = 0;
    /** @type {[AlertDetail, RecipientPage] | null} */
    const detail = n === null ? null : await Promise.all([api(`/api/alerts/${n}`), api(recipientsUrl(n))]);
    if (mine !== seq) return;
    // Acknowledgements can empty the page shown: go to the last page there is.
    if (n !== null && detail && detail[1].count === 0 && detail[1].total > 0 && recipientsOffset > 0) {
      recipientsOffset = Math.floor((detail[1].total - 1) / PAGE) * PAGE;
      detail[1] = await api(recipientsUrl(n));
      if (mine !== seq) return;
    }
    /** @type {OptOutPage | null} */
    let optOuts = list.optedOutMembers > 0 ? await api(optOutsUrl()) : null;
    if (mine !== seq) return;
    if (optOuts && optOuts.count === 0 && optOuts.total > 0 && optOutsOffset > 0) {
      optOutsOffset = Math.floor((optOuts.total - 1) / PAGE) * PAGE;
      optOuts = await api(optOutsUrl());
      if (mine !== seq) return;
    }
    current = n;
    renderList(list, n);
    renderOptOuts(optOuts);
    if (detail) renderDetail(detail[0], detail[1]);
    else $('detail').hidden = true;
    problem('');
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}. Refreshes every 2 seconds.`;
  } catch (err) {
    if (mine !== seq) return;
    if (failed(err)) return;
    if (err instanceof ApiError && err.status === 404 && wanted !== null) problem(`There is no alert #${wanted}.`);
    else problem(`Could not load alerts (${err instanceof Error ? err.message : String(err)}). Trying again.`);
  }
  if (mine === seq && getToken() && !$('board').hidden) schedule();
}

/** @param {'unacknowledged' | 'all'} state */
async function download(state) {
  if (current === null) return;
  const n = current;
  try {
    saveBlob(await api(`/api/alerts/${n}/recipients.csv?state=${state}`, { accept: 'text/csv' }), `batsignal-${n}-${state}.csv`);
  } catch (err) {
    if (!failed(err)) problem(`Could not download the CSV (${err instanceof Error ? err.message : String(err)}).`);
  }
}

// --- Raise, UPDATE and ALLCLEAR: form -> preview (exact text and reach) -> Send.

/** @typedef {{ kind: 'raise' | 'update' | 'allclear', text: string, reach: number, exercise: boolean, alert: number }} Preview */
/** @type {'raise' | 'update' | 'allclear'} */
let actionKind = 'raise';
/** @type {number | null} */
let actionAlert = null;
/** @type {{ body: Record<string, unknown>, preview: Preview } | null} */
let previewed = null;
/** @type {AlertDetail | null} */
let shown = null;

/** @param {string} message */
function actionProblem(message) {
  $('act-problem').hidden = !message;
  $('act-problem-text').textContent = message;
  if (message) $('act-problem').focus();
}

/** @param {string} message */
function notice(message) {
  $('notice').hidden = !message;
  $('notice-text').textContent = message;
}

async function loadAdmins() {
  const select = input('act-admin');
  if (select.children.length > 0) return;
  /** @type {import('./api').MemberPage} */
  const page = await api('/api/members?role=admin&limit=1000');
  for (const m of page.members) {
    const o = el('option', null, m.organisation ? `${m.name} (${m.organisation})` : m.name);
    o.value = String(m.id);
    select.append(o);
  }
  if (page.members.length === 0) actionProblem('There is no admin member to act as: give a member the admin role on the Members page first.');
}

/** @param {'raise' | 'update' | 'allclear'} kind */
async function openAction(kind) {
  actionKind = kind;
  actionAlert = kind === 'raise' ? null : current;
  previewed = null;
  notice('');
  actionProblem('');
  $('action').hidden = false;
  $('act-confirm').hidden = true;
  form('action-form').hidden = false;
  $('act-raise').hidden = kind !== 'raise';
  $('act-followup').hidden = kind === 'raise';
  $('action-title').textContent =
    kind === 'raise' ? 'Raise an alert' : kind === 'update' ? `Send an update on alert #${actionAlert}` : `Stand down alert #${actionAlert} (all clear)`;
  $('act-text-label').textContent = kind === 'update' ? 'Update (sent to everyone the alert reached)' : 'Anything to add (optional)';
  input('act-text').value = '';
  $('action-title').focus();
  try {
    await loadAdmins();
  } catch (err) {
    if (!failed(err)) actionProblem(err instanceof Error ? err.message : String(err));
  }
}

function closeAction() {
  $('action').hidden = true;
  previewed = null;
}

function actionBody() {
  /** @type {Record<string, unknown>} */
  const body = { adminId: Number(input('act-admin').value), kind: actionKind };
  if (actionKind === 'raise') {
    const yes = input('act-threshold-yes');
    const no = input('act-threshold-no');
    body.thresholdMet = yes instanceof HTMLInputElement && yes.checked;
    if (!(yes instanceof HTMLInputElement && yes.checked) && !(no instanceof HTMLInputElement && no.checked)) return null;
    body.summary = input('act-summary').value;
    const ex = input('act-exercise');
    body.exercise = ex instanceof HTMLInputElement && ex.checked;
  } else {
    body.alert = actionAlert;
    body.text = input('act-text').value;
  }
  return body;
}

async function preview() {
  actionProblem('');
  const body = actionBody();
  if (!body) return actionProblem('Answer the threshold question: Yes or No.');
  try {
    /** @type {Preview} */
    const p = await api('/api/actions/preview', { body });
    previewed = { body, preview: p };
    form('action-form').hidden = true;
    $('act-confirm').hidden = false;
    $('act-text-preview').textContent = p.text;
    const who = p.reach === 1 ? '1 member' : `${p.reach} members`;
    $('act-reach').textContent =
      (p.kind === 'raise' ? `Alert #${p.alert} will be texted to ${who}` : `This will be texted to ${who} who received alert #${p.alert}`) +
      (p.exercise ? ', marked as an EXERCISE.' : '.');
    $('act-send').textContent = p.kind === 'raise' ? `Send alert to ${who}` : p.kind === 'update' ? `Send update to ${who}` : `Stand down and tell ${who}`;
    $('act-confirm-title').focus();
  } catch (err) {
    if (!failed(err)) actionProblem(err instanceof Error ? err.message : String(err));
  }
}

async function send() {
  if (!previewed) return;
  button('act-send').disabled = true;
  try {
    /** @type {{ alert: number, recipients: number, message: string }} */
    const r = await api('/api/actions/send', { body: { ...previewed.body, previewedText: previewed.preview.text } });
    closeAction();
    notice(r.message);
    location.hash = `#alert-${r.alert}`;
    void refresh();
  } catch (err) {
    if (failed(err)) return;
    actionProblem(err instanceof Error ? err.message : String(err));
    $('act-confirm').hidden = true;
    form('action-form').hidden = false;
  } finally {
    button('act-send').disabled = false;
  }
}

document.addEventListener('batsignal:alert', (e) => {
  shown = /** @type {CustomEvent<AlertDetail>} */ (e).detail;
  $('followups').hidden = shown.status !== 'open';
});
$('raise-open').addEventListener('click', () => void openAction('raise'));
$('update-open').addEventListener('click', () => void openAction('update'));
$('allclear-open').addEventListener('click', () => void openAction('allclear'));
$('act-cancel').addEventListener('click', closeAction);
$('act-change').addEventListener('click', () => {
  $('act-confirm').hidden = true;
  form('action-form').hidden = false;
});
form('action-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void preview();
});
$('act-send').addEventListener('click', () => void send());

takeTokenFromHash();
form('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = input('token').value.trim();
  if (!t) return fieldError('token-group', 'token', 'token-error', 'Enter the admin token');
  setToken(t);
  input('token').value = '';
  showBoard();
  void refresh();
});
$('signout').addEventListener('click', () => {
  signOut();
  showSignin();
});
wirePhoneSignin(() => {
  showBoard();
  void refresh();
});
$('csv-unacked').addEventListener('click', () => void download('unacknowledged'));
/** @param {number} step */
function turnPage(step) {
  recipientsOffset = Math.max(0, recipientsOffset + step);
  lastRowsKey = '';
  void refresh();
}
/** @param {number} step */
function turnOptOutPage(step) {
  optOutsOffset = Math.max(0, optOutsOffset + step);
  lastOptOutsKey = '';
  void refresh();
}
$('optouts-prev').addEventListener('click', (e) => {
  e.preventDefault();
  turnOptOutPage(-PAGE);
});
$('optouts-next').addEventListener('click', (e) => {
  e.preventDefault();
  turnOptOutPage(PAGE);
});
$('nonresponders-prev').addEventListener('click', (e) => {
  e.preventDefault();
  turnPage(-PAGE);
});
$('nonresponders-next').addEventListener('click', (e) => {
  e.preventDefault();
  turnPage(PAGE);
});
$('csv-all').addEventListener('click', () => void download('all'));
window.addEventListener('hashchange', () => {
  lastRowsKey = '';
  lastListKey = '';
  void refresh();
});
if (getToken()) {
  showBoard();
  void refresh();
} else showSignin();
