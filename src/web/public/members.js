// @ts-check
// The members page (/members): search and filter, add, change, remove (after a confirmation) and
// import a CSV with its per-row report, through the members API with the tab's token.
import { signOut, wirePhoneSignin } from './signin.js';
import { $, api, ApiError, button, cell, clear, el, fieldError, form, getToken, input, national, setToken, span, tag, takeTokenFromHash, Unauthorised, when } from './common.js';

/** @typedef {import('./api').Member} Member */
/** @typedef {import('./api').MemberPage} MemberPage */
/** @typedef {import('./api').ImportReport} ImportReport */

const PAGE_SIZE = 50;
let offset = 0;
let total = 0;
/** @type {Member | null} editing: null adds a new member */
let editing = null;
/** @type {Member | null} */
let deleting = null;
let seq = 0;

/** @param {string} [message] */
function showSignin(message) {
  $('board').hidden = true;
  $('signin').hidden = false;
  fieldError('token-group', 'token', 'token-error', message ?? '');
  input('token').value = '';
  input('token').focus();
}

/** @param {string} message */
function problem(message) {
  $('problem').hidden = !message;
  $('problem-text').textContent = message;
  if (message) $('problem').focus();
}

/** @param {string} message */
function notice(message) {
  $('notice').hidden = !message;
  $('notice-text').textContent = message;
}

/** @param {unknown} err */
function handle(err) {
  if (err instanceof Unauthorised) {
    setToken(null);
    showSignin('That token was not accepted. Check it and try again.');
    return;
  }
  problem(err instanceof Error ? err.message : String(err));
}

function query() {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
  const search = input('search').value.trim();
  if (search) q.set('search', search);
  const role = input('filter-role').value;
  if (role) q.set('role', role);
  const optedOut = input('filter-optout').value;
  if (optedOut) q.set('optedOut', optedOut);
  const number = input('filter-number').value;
  if (number === 'unverified') q.set('verified', 'false');
  else if (number === 'verified') q.set('verified', 'true');
  else if (number === 'undeliverable') q.set('undeliverable', 'true');
  return q;
}

async function load() {
  const mine = ++seq;
  try {
    /** @type {MemberPage} */
    const data = await api(`/api/members?${query()}`);
    if (mine !== seq) return;
    total = data.total;
    render(data);
    await summarise(mine);
    $('updated').textContent = `Loaded ${new Date().toLocaleTimeString('en-GB')}.`;
  } catch (err) {
    if (mine === seq) handle(err);
  }
}

/** How many numbers are not confirmed, and how many look undeliverable (two counts, one row each). @param {number} mine */
async function summarise(mine) {
  /** @type {[MemberPage, MemberPage]} */
  const [unverified, undeliverable] = await Promise.all([api('/api/members?verified=false&limit=1'), api('/api/members?undeliverable=true&limit=1')]);
  if (mine !== seq) return;
  const parts = [];
  if (unverified.total > 0) parts.push(`${unverified.total} ${unverified.total === 1 ? 'member has' : 'members have'} not confirmed their number (no JOIN reply to the welcome text yet)`);
  if (undeliverable.total > 0) parts.push(`the last text to ${undeliverable.total} ${undeliverable.total === 1 ? 'member' : 'members'} failed`);
  $('verification-summary').hidden = parts.length === 0;
  $('verification-summary').textContent = parts.length === 0 ? '' : `${parts.join('; ')}. Alerts still go to them. Filter by phone number to see who, and send the welcome again.`.replace(/^./, (c) => c.toUpperCase());
}

/** The welcome text again (the member replies JOIN to confirm). @param {Member} m */
async function resend(m) {
  problem('');
  try {
    await api(`/api/members/${m.id}/welcome`, { method: 'POST' });
    notice(`Welcome text sent again to ${m.name} (${national(m.phone)}). Their number is confirmed when they reply JOIN.`);
    await load();
  } catch (err) {
    handle(err);
  }
}

/** @param {MemberPage} data */
function render(data) {
  $('count').textContent = data.total === 1 ? '1 member' : `${data.total} members`;
  const body = $('members-body');
  clear(body);
  for (const m of data.members) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.member = String(m.id);
    const failed = m.lastText?.outcome === 'failed';
    tr.append(cell('Name', span(m.name, m.email ? el('span', 'nhsuk-body-s bs-block', m.email) : null)));
    tr.append(cell('Organisation', m.organisation));
    const tel = el('a', null, national(m.phone));
    tel.href = `tel:${m.phone}`;
    tr.append(cell('Phone', tel));
    tr.append(
      cell(
        'Status',
        span(
          m.role === 'admin' ? tag('Admin', 'blue') : null,
          m.optedOut ? tag('Opted out', 'grey') : null,
          m.optedOut && m.optedOutAt ? el('span', 'nhsuk-body-s', `since ${when(m.optedOutAt)}`) : null,
          m.verifiedAt ? null : tag('Not confirmed', 'yellow'),
          !m.verifiedAt && m.welcomedAt ? el('span', 'nhsuk-body-s', `welcome sent ${when(m.welcomedAt)}`) : null,
          failed ? tag('Last text failed', 'red') : null,
          failed && m.lastText?.error ? el('span', 'nhsuk-body-s', `(${m.lastText.error})`) : null,
        ),
      ),
    );
    const edit = el('button', 'nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item', 'Change');
    edit.type = 'button';
    edit.setAttribute('aria-label', `Change ${m.name}`);
    edit.addEventListener('click', () => openEditor(m));
    const remove = el('button', 'nhsuk-button nhsuk-button--warning nhsuk-button--small bs-toolbar__item', 'Remove');
    remove.type = 'button';
    remove.setAttribute('aria-label', `Remove ${m.name}`);
    remove.addEventListener('click', () => askDelete(m));
    const actions = el('span', 'bs-toolbar');
    actions.append(edit, remove);
    if ((!m.verifiedAt || failed) && !m.optedOut) {
      const again = el('button', 'nhsuk-button nhsuk-button--secondary nhsuk-button--small bs-toolbar__item', 'Resend welcome');
      again.type = 'button';
      again.dataset.action = 'resend-welcome';
      again.setAttribute('aria-label', `Resend welcome to ${m.name}`);
      again.addEventListener('click', () => void resend(m));
      actions.append(again);
    }
    tr.append(cell('Actions', actions));
    body.append(tr);
  }
  $('members').hidden = data.members.length === 0;
  const last = Math.min(data.offset + data.members.length, data.total);
  $('page').textContent = data.total === 0 ? 'No members match.' : `${data.offset + 1} to ${last} of ${data.total}`;
  button('prev').disabled = data.offset === 0;
  button('next').disabled = last >= data.total;
}

const FIELDS = /** @type {const} */ ([
  ['name', 'f-name'],
  ['phone', 'f-phone'],
  ['organisation', 'f-org'],
  ['email', 'f-email'],
]);

function clearFieldErrors() {
  for (const [, id] of FIELDS) fieldError(`${id}-group`, id, `${id}-error`, '');
}

/** @param {Member | null} m */
function openEditor(m) {
  editing = m;
  $('confirm-delete').hidden = true;
  clearFieldErrors();
  $('editor-title').textContent = m ? `Change ${m.name}` : 'Add a member';
  input('f-name').value = m?.name ?? '';
  input('f-phone').value = m ? national(m.phone) : '';
  input('f-org').value = m?.organisation ?? '';
  input('f-email').value = m?.email ?? '';
  input('f-role').value = m?.role ?? 'member';
  $('f-optedout').hidden = !m?.optedOut;
  $('f-optedout').textContent = m?.optedOut ? `${m.name} has opted out of alert texts (STOP). They opt back in by texting START.` : '';
  $('editor').hidden = false;
  input('f-name').focus();
}

function closeEditor() {
  editing = null;
  $('editor').hidden = true;
}

/** Which field an API refusal is about. @param {ApiError} err */
function fieldOf(err) {
  if (err.code === 'invalid_phone' || err.code === 'duplicate_phone' || /phone/i.test(err.message)) return 'f-phone';
  if (err.code === 'invalid_email' || /email/i.test(err.message)) return 'f-email';
  if (/organisation/i.test(err.message)) return 'f-org';
  if (/name/i.test(err.message)) return 'f-name';
  return null;
}

async function save() {
  clearFieldErrors();
  problem('');
  const name = input('f-name').value.trim();
  const phone = input('f-phone').value.trim();
  if (!name) return fieldError('f-name-group', 'f-name', 'f-name-error', 'Enter the member\'s full name');
  if (!phone) return fieldError('f-phone-group', 'f-phone', 'f-phone-error', 'Enter a mobile number');
  const body = { name, phone, organisation: input('f-org').value.trim(), email: input('f-email').value.trim() || null, role: input('f-role').value };
  try {
    /** @type {Member} */
    const saved = editing ? await api(`/api/members/${editing.id}`, { method: 'PATCH', body }) : await api('/api/members', { body });
    notice(editing ? `${saved.name} saved.` : `${saved.name} added.`);
    closeEditor();
    await load();
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) {
      const field = fieldOf(err);
      if (field) return fieldError(`${field}-group`, field, `${field}-error`, err.message);
    }
    handle(err);
  }
}

/** @param {Member} m */
function askDelete(m) {
  deleting = m;
  closeEditor();
  $('confirm-delete-title').textContent = `Remove ${m.name}?`;
  $('confirm-delete-text').textContent =
    `${m.name}${m.organisation ? ` (${m.organisation})` : ''}, ${national(m.phone)}, will get no more alerts. Their past acknowledgements stay in the alerts' records. This cannot be undone: to bring them back, add them again.`;
  $('confirm-delete').hidden = false;
  $('confirm-delete').focus();
}

async function confirmDelete() {
  const m = deleting;
  if (!m) return;
  try {
    await api(`/api/members/${m.id}`, { method: 'DELETE' });
    notice(`${m.name} removed.`);
  } catch (err) {
    handle(err);
  }
  deleting = null;
  $('confirm-delete').hidden = true;
  await load();
}

/** @type {[keyof ImportReport & string, string, string][]} */
const OUTCOMES = [
  ['added', 'Added', 'good'],
  ['updated', 'Updated', ''],
  ['unchanged', 'Unchanged', ''],
  ['rejected', 'Rejected', 'bad'],
];

async function upload() {
  fieldError('upload-group', 'upload-file', 'upload-error', '');
  const f = input('upload-file');
  const file = f instanceof HTMLInputElement ? f.files?.[0] : undefined;
  if (!file) return fieldError('upload-group', 'upload-file', 'upload-error', 'Choose a CSV file');
  button('upload').disabled = true;
  try {
    /** @type {ImportReport} */
    const report = await api('/api/members/import', { raw: file, contentType: 'text/csv' });
    showReport(report);
    offset = 0;
    await load();
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) fieldError('upload-group', 'upload-file', 'upload-error', err.message);
    else handle(err);
  } finally {
    button('upload').disabled = false;
  }
}

/** @param {ImportReport} r */
function showReport(r) {
  $('report').hidden = false;
  const counts = $('report-counts');
  clear(counts);
  for (const [key, label, colour] of OUTCOMES) {
    const li = el('li', `bs-count${colour ? ` bs-count--${colour}` : ''}`);
    li.dataset.count = key;
    li.append(el('span', 'bs-count__value', r[key]), el('span', 'bs-count__label', label));
    counts.append(li);
  }
  const rejected = r.rows.filter((row) => row.outcome === 'rejected');
  $('report-rows').hidden = rejected.length === 0;
  const body = $('report-body');
  clear(body);
  for (const row of rejected) {
    const tr = el('tr', 'nhsuk-table__row');
    tr.dataset.row = String(row.row);
    tr.append(cell('Line', String(row.row)), cell('Reason', row.reason ?? ''));
    body.append(tr);
  }
  $('report-title').textContent = `Upload report: ${r.rows.length} ${r.rows.length === 1 ? 'row' : 'rows'}`;
  $('report-title').focus();
}

takeTokenFromHash();
form('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = input('token').value.trim();
  if (!t) return fieldError('token-group', 'token', 'token-error', 'Enter the admin token');
  setToken(t);
  start();
});
$('signout').addEventListener('click', () => {
  signOut();
  showSignin();
});
wirePhoneSignin(start);
form('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  offset = 0;
  void load();
});
for (const id of ['filter-role', 'filter-optout', 'filter-number']) {
  $(id).addEventListener('change', () => {
    offset = 0;
    void load();
  });
}
$('prev').addEventListener('click', () => {
  offset = Math.max(0, offset - PAGE_SIZE);
  void load();
});
$('next').addEventListener('click', () => {
  if (offset + PAGE_SIZE < total) offset += PAGE_SIZE;
  void load();
});
$('add').addEventListener('click', () => openEditor(null));
$('cancel-edit').addEventListener('click', closeEditor);
form('member-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void save();
});
$('confirm-delete-yes').addEventListener('click', () => void confirmDelete());
$('confirm-delete-no').addEventListener('click', () => {
  deleting = null;
  $('confirm-delete').hidden = true;
});
form('upload-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void upload();
});

function start() {
  $('signin').hidden = true;
  $('board').hidden = false;
  void load();
}

if (getToken()) start();
else showSignin();
