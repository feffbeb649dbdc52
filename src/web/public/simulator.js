// @ts-check
// The phone simulator (/simulator). Every element is built with createElement and textContent,
// never from markup; it polls for new texts once a second.
import { $, api, el, form, getToken, input, national, setToken, takeTokenFromHash, Unauthorised } from './common.js';

/** @typedef {import('./api').SimPhone} SimPhone */
/** @typedef {import('./api').SimMessage} SimMessage */
/** @typedef {{ thread: HTMLElement, empty: HTMLElement, optedOut: HTMLElement, seen: Map<string, HTMLElement> }} Card */

const SHOWN_KEY = 'batsignal.simulator.phones';
const POLL_MS = 1000;
const PHONES_REFRESH_MS = 10000;
const DEFAULT_PHONES = 3;

takeTokenFromHash();
/** @type {SimPhone[]} */
let members = [];
/** @type {string[]} */
let shown = [];
let lastId = '0';
let generation = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let pollTimer;
let inFlight = false;
let again = false;
let lastPhonesAt = 0;
let exerciseOn = false;
/** @type {Map<string, Card>} */
const cards = new Map();

/** @param {string} [message] */
function askForToken(message) {
  clearTimeout(pollTimer);
  $('sim').hidden = true;
  $('token-form').hidden = false;
  const err = $('token-error');
  if (message) {
    err.replaceChildren(el('span', 'nhsuk-u-visually-hidden', 'Error: '), message);
    err.hidden = false;
    $('token-group').classList.add('nhsuk-form-group--error');
  }
  input('token').focus();
}

/** @param {boolean} on */
function showExercise(on) {
  exerciseOn = on;
  const status = $('exercise-status');
  status.textContent = '';
  if (on) {
    status.append(el('strong', 'nhsuk-tag nhsuk-tag--orange', 'Exercise mode on'), ' Every new alert is raised as an EXERCISE.');
  } else {
    status.append('Exercise mode is off. Text ', el('strong', null, 'RAISE EXERCISE'), ' to rehearse once, or switch it on for every raise.');
  }
  $('exercise-toggle').textContent = on ? 'Switch exercise mode off' : 'Switch exercise mode on';
  document.body.classList.toggle('sim-exercise', on);
}

async function loadPhones() {
  /** @type {{ batsignalNumber: string, exercise: boolean, phones: SimPhone[] }} */
  const data = await api('/api/simulator/phones');
  lastPhonesAt = Date.now();
  members = data.phones;
  $('batsignal-number').textContent = national(`+${data.batsignalNumber}`);
  showExercise(data.exercise);
  for (const m of members) {
    const card = cards.get(m.phone);
    if (card) card.optedOut.hidden = !m.optedOut;
  }
}

function chooseShown() {
  const known = new Set(members.map((m) => m.phone));
  /** @type {unknown} */
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(SHOWN_KEY) ?? 'null');
  } catch {
    saved = null;
  }
  shown = Array.isArray(saved) ? saved.filter((p) => typeof p === 'string' && known.has(p)) : [];
  if (shown.length === 0) shown = members.slice(0, DEFAULT_PHONES).map((m) => m.phone);
}

/** @param {string[]} next */
function setShown(next) {
  shown = next;
  sessionStorage.setItem(SHOWN_KEY, JSON.stringify(shown));
  render();
}

function fillAddSelect() {
  const select = input('add-phone');
  select.textContent = '';
  const others = members.filter((m) => !shown.includes(m.phone));
  for (const m of others) {
    const o = el('option', null, `${m.name}${m.organisation ? ` (${m.organisation})` : ''} – ${national(m.phone)}`);
    o.value = m.phone;
    select.append(o);
  }
  $('add-form').hidden = others.length === 0;
  $('no-members').hidden = members.length > 0;
}

function render() {
  generation++;
  lastId = '0';
  cards.clear();
  const box = $('phones');
  box.textContent = '';
  for (const phone of shown) {
    const m = members.find((x) => x.phone === phone);
    if (m) box.append(phoneCard(m));
  }
  fillAddSelect();
  void poll();
}

/** @param {SimPhone} m */
function phoneCard(m) {
  const card = el('section', 'nhsuk-card sim-phone');
  card.dataset.phone = m.phone;
  const headingId = `phone-${m.memberId}`;
  card.setAttribute('aria-labelledby', headingId);
  const content = el('div', 'nhsuk-card__content sim-phone__content');

  const head = el('div', 'sim-phone__head');
  const h = el('h2', 'nhsuk-card__heading nhsuk-heading-s sim-phone__name', m.name);
  h.id = headingId;
  const hide = el('button', 'sim-phone__hide', 'Hide');
  hide.type = 'button';
  hide.setAttribute('aria-label', `Hide ${m.name}'s phone`);
  hide.addEventListener('click', () => setShown(shown.filter((p) => p !== m.phone)));
  head.append(h, hide);

  const meta = el('p', 'nhsuk-body-s sim-phone__meta');
  if (m.organisation) meta.append(el('span', 'sim-phone__org', m.organisation));
  meta.append(`${national(m.phone)} `);
  if (m.role === 'admin') meta.append(el('strong', 'nhsuk-tag nhsuk-tag--blue', 'Admin'), ' ');
  const optedOut = el('strong', 'nhsuk-tag nhsuk-tag--grey', 'Opted out');
  optedOut.hidden = !m.optedOut;
  meta.append(optedOut);

  const thread = el('ol', 'sim-thread');
  thread.setAttribute('aria-live', 'polite');
  thread.setAttribute('aria-label', `Texts on ${m.name}'s phone`);
  thread.tabIndex = 0;
  const empty = el('p', 'nhsuk-body-s sim-thread__empty', 'No texts yet.');

  const compose = el('form', 'sim-compose');
  const areaId = `text-${m.memberId}`;
  const label = el('label', 'nhsuk-label nhsuk-u-visually-hidden', `Text from ${m.name} to Batsignal`);
  label.htmlFor = areaId;
  const area = el('textarea', 'nhsuk-textarea sim-compose__text');
  area.id = areaId;
  area.name = 'text';
  area.rows = 2;
  area.maxLength = 3200;
  area.placeholder = 'Text message';
  area.autocomplete = 'off';
  const send = el('button', 'nhsuk-button nhsuk-button--small sim-compose__send', 'Send');
  send.type = 'submit';
  const problem = el('p', 'nhsuk-error-message sim-compose__error');
  problem.hidden = true;
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      compose.requestSubmit();
    }
  });
  compose.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = area.value;
    if (text.trim() === '') return;
    send.disabled = true;
    problem.hidden = true;
    try {
      /** @type {{ message: SimMessage }} */
      const r = await api('/api/simulator/send', { body: { phone: m.phone, text } });
      area.value = '';
      addMessage(r.message);
    } catch (err) {
      if (err instanceof Unauthorised) return askForToken('That admin token is no longer accepted.');
      problem.textContent = `Not sent: ${err instanceof Error ? err.message : String(err)}`;
      problem.hidden = false;
    } finally {
      send.disabled = false;
      area.focus();
    }
    void poll();
  });
  compose.append(label, area, problem, send);

  content.append(head, meta, empty, thread, compose);
  card.append(content);
  cards.set(m.phone, { thread, empty, optedOut, seen: new Map() });
  return card;
}

/** @param {SimMessage} msg */
function bubble(msg) {
  const fromPhone = msg.from === 'phone';
  const li = el('li', `sim-msg ${fromPhone ? 'sim-msg--from-phone' : 'sim-msg--from-batsignal'}`);
  if (/\bEXERCISE\b/.test(msg.text)) li.classList.add('sim-msg--exercise');
  li.dataset.id = msg.id;
  li.append(el('span', 'nhsuk-u-visually-hidden', fromPhone ? 'Sent: ' : 'From Batsignal: '));
  li.append(el('span', 'sim-msg__text', msg.text));
  const time = new Date(msg.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  li.append(el('span', 'sim-msg__meta', `${fromPhone ? 'Sent ' : 'Batsignal '}${time}`));
  if (msg.error) li.append(el('span', 'sim-msg__error', `Not delivered: ${msg.error}`));
  return li;
}

/** @param {SimMessage} msg */
function addMessage(msg) {
  const card = cards.get(msg.phone);
  if (!card) return;
  const old = card.seen.get(msg.id);
  if (old) {
    if (msg.error && !old.querySelector('.sim-msg__error')) old.append(el('span', 'sim-msg__error', `Not delivered: ${msg.error}`));
    return;
  }
  const li = bubble(msg);
  card.seen.set(msg.id, li);
  const t = card.thread;
  const atBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 40;
  const id = BigInt(msg.id);
  const after = [...t.children].find((c) => c instanceof HTMLElement && BigInt(c.dataset.id ?? '0') > id);
  t.insertBefore(li, after ?? null);
  card.empty.hidden = true;
  if (atBottom || !after) t.scrollTop = t.scrollHeight;
}

/** @returns {Promise<void>} */
async function poll() {
  if (inFlight) {
    again = true;
    return;
  }
  clearTimeout(pollTimer);
  inFlight = true;
  const gen = generation;
  try {
    if (Date.now() - lastPhonesAt > PHONES_REFRESH_MS) await loadPhones();
    if (shown.length > 0) {
      for (;;) {
        /** @type {{ messages: SimMessage[], more: boolean }} */
        const data = await api(`/api/simulator/messages?phones=${encodeURIComponent(shown.join(','))}&after=${lastId}`);
        if (gen !== generation) break;
        for (const msg of data.messages) {
          addMessage(msg);
          lastId = msg.id;
        }
        if (!data.more) break;
      }
    }
    $('sim').classList.remove('sim--offline');
  } catch (err) {
    if (err instanceof Unauthorised) {
      inFlight = false;
      return askForToken('That admin token is no longer accepted.');
    }
    $('sim').classList.add('sim--offline');
  }
  inFlight = false;
  if (again || gen !== generation) {
    again = false;
    return poll();
  }
  pollTimer = setTimeout(poll, POLL_MS);
}

async function start() {
  if (!getToken()) return askForToken();
  try {
    await loadPhones();
  } catch (err) {
    if (err instanceof Unauthorised) return askForToken('That admin token was not accepted.');
    return askForToken(`Could not reach Batsignal: ${err instanceof Error ? err.message : String(err)}`);
  }
  $('token-form').hidden = true;
  $('token-error').hidden = true;
  $('token-group').classList.remove('nhsuk-form-group--error');
  $('sim').hidden = false;
  chooseShown();
  render();
}

form('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken(input('token').value.trim());
  void start();
});

form('add-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const phone = input('add-phone').value;
  if (phone && !shown.includes(phone)) setShown([...shown, phone]);
});

$('exercise-toggle').addEventListener('click', async () => {
  try {
    /** @type {{ on: boolean }} */
    const r = await api('/api/exercise', { body: { on: !exerciseOn } });
    showExercise(r.on);
  } catch (err) {
    if (err instanceof Unauthorised) askForToken('That admin token is no longer accepted.');
  }
});

window.addEventListener('hashchange', () => {
  const before = getToken();
  if (takeTokenFromHash() && getToken() !== before) void start();
});

void start();
