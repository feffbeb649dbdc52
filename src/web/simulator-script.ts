// The /simulator page's script, served as /simulator/simulator.js (no build step). It builds every
// element with createElement/textContent (never innerHTML) and polls for new texts once a second.
export const SIMULATOR_SCRIPT = String.raw`// Batsignal phone simulator.
const TOKEN_KEY = 'batsignal.adminToken';
const SHOWN_KEY = 'batsignal.simulator.phones';
const POLL_MS = 1000;
const PHONES_REFRESH_MS = 10000;
const DEFAULT_PHONES = 3;

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

class Unauthorised extends Error {}

function takeToken() {
  // The start-up line prints /simulator#token=...: keep it for this tab, then drop it from the address bar.
  const m = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

let token = takeToken();
let members = [];
let shown = [];
let lastId = '0';
let generation = 0;
let pollTimer;
let inFlight = false;
let again = false;
let lastPhonesAt = 0;
let exerciseOn = false;
const cards = new Map();

async function api(path, body) {
  const headers = { authorization: 'Bearer ' + token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (res.status === 401) throw new Unauthorised();
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.message || 'Batsignal answered ' + res.status);
  return json;
}

function askForToken(message) {
  clearTimeout(pollTimer);
  $('sim').hidden = true;
  $('token-form').hidden = false;
  const err = $('token-error');
  if (message) {
    err.textContent = '';
    err.append(el('span', 'nhsuk-u-visually-hidden', 'Error: '), message);
    err.hidden = false;
    $('token-group').classList.add('nhsuk-form-group--error');
  }
  $('token').focus();
}

function national(phone) {
  if (/^\+44\d{10}$/.test(phone)) return '0' + phone.slice(3, 7) + ' ' + phone.slice(7);
  return phone;
}

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
  const data = await api('/api/simulator/phones');
  lastPhonesAt = Date.now();
  members = data.phones;
  $('batsignal-number').textContent = national('+' + data.batsignalNumber);
  showExercise(data.exercise);
  for (const m of members) {
    const card = cards.get(m.phone);
    if (card) card.optedOut.hidden = !m.optedOut;
  }
}

function chooseShown() {
  const known = new Set(members.map((m) => m.phone));
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(SHOWN_KEY) || 'null');
  } catch {
    saved = null;
  }
  shown = Array.isArray(saved) ? saved.filter((p) => known.has(p)) : [];
  if (shown.length === 0) shown = members.slice(0, DEFAULT_PHONES).map((m) => m.phone);
}

function setShown(next) {
  shown = next;
  sessionStorage.setItem(SHOWN_KEY, JSON.stringify(shown));
  render();
}

function fillAddSelect() {
  const select = $('add-phone');
  select.textContent = '';
  const others = members.filter((m) => !shown.includes(m.phone));
  for (const m of others) {
    const o = el('option', null, m.name + (m.organisation ? ' (' + m.organisation + ')' : '') + ' – ' + national(m.phone));
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
  poll();
}

function phoneCard(m) {
  const card = el('section', 'nhsuk-card sim-phone');
  card.dataset.phone = m.phone;
  const headingId = 'phone-' + m.memberId;
  card.setAttribute('aria-labelledby', headingId);
  const content = el('div', 'nhsuk-card__content sim-phone__content');

  const head = el('div', 'sim-phone__head');
  const h = el('h2', 'nhsuk-card__heading nhsuk-heading-s sim-phone__name', m.name);
  h.id = headingId;
  const hide = el('button', 'sim-phone__hide', 'Hide');
  hide.type = 'button';
  hide.setAttribute('aria-label', 'Hide ' + m.name + "'s phone");
  hide.addEventListener('click', () => setShown(shown.filter((p) => p !== m.phone)));
  head.append(h, hide);

  const meta = el('p', 'nhsuk-body-s sim-phone__meta');
  if (m.organisation) meta.append(el('span', 'sim-phone__org', m.organisation));
  meta.append(national(m.phone) + ' ');
  if (m.role === 'admin') meta.append(el('strong', 'nhsuk-tag nhsuk-tag--blue', 'Admin'), ' ');
  const optedOut = el('strong', 'nhsuk-tag nhsuk-tag--grey', 'Opted out');
  optedOut.hidden = !m.optedOut;
  meta.append(optedOut);

  const thread = el('ol', 'sim-thread');
  thread.setAttribute('aria-live', 'polite');
  thread.setAttribute('aria-label', 'Texts on ' + m.name + "'s phone");
  thread.tabIndex = 0;
  const empty = el('p', 'nhsuk-body-s sim-thread__empty', 'No texts yet.');

  const form = el('form', 'sim-compose');
  const areaId = 'text-' + m.memberId;
  const label = el('label', 'nhsuk-label nhsuk-u-visually-hidden', 'Text from ' + m.name + ' to Batsignal');
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
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = area.value;
    if (text.trim() === '') return;
    send.disabled = true;
    problem.hidden = true;
    try {
      const r = await api('/api/simulator/send', { phone: m.phone, text });
      area.value = '';
      addMessage(r.message);
    } catch (err) {
      if (err instanceof Unauthorised) return askForToken('That admin token is no longer accepted.');
      problem.textContent = 'Not sent: ' + err.message;
      problem.hidden = false;
    } finally {
      send.disabled = false;
      area.focus();
    }
    poll();
  });
  form.append(label, area, problem, send);

  content.append(head, meta, empty, thread, form);
  card.append(content);
  cards.set(m.phone, { thread, empty, optedOut, seen: new Map() });
  return card;
}

function bubble(msg) {
  const fromPhone = msg.from === 'phone';
  const li = el('li', 'sim-msg ' + (fromPhone ? 'sim-msg--from-phone' : 'sim-msg--from-batsignal'));
  if (/\bEXERCISE\b/.test(msg.text)) li.classList.add('sim-msg--exercise');
  li.dataset.id = msg.id;
  li.append(el('span', 'nhsuk-u-visually-hidden', fromPhone ? 'Sent: ' : 'From Batsignal: '));
  li.append(el('span', 'sim-msg__text', msg.text));
  const time = new Date(msg.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  li.append(el('span', 'sim-msg__meta', (fromPhone ? 'Sent ' : 'Batsignal ') + time));
  if (msg.error) li.append(el('span', 'sim-msg__error', 'Not delivered: ' + msg.error));
  return li;
}

function addMessage(msg) {
  const card = cards.get(msg.phone);
  if (!card) return;
  const old = card.seen.get(msg.id);
  if (old) {
    if (msg.error && !old.querySelector('.sim-msg__error')) old.append(el('span', 'sim-msg__error', 'Not delivered: ' + msg.error));
    return;
  }
  const li = bubble(msg);
  card.seen.set(msg.id, li);
  const t = card.thread;
  const atBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 40;
  const id = BigInt(msg.id);
  const after = [...t.children].find((c) => BigInt(c.dataset.id) > id);
  t.insertBefore(li, after || null);
  card.empty.hidden = true;
  if (atBottom || !after) t.scrollTop = t.scrollHeight;
}

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
        const data = await api('/api/simulator/messages?phones=' + encodeURIComponent(shown.join(',')) + '&after=' + lastId);
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
  if (!token) return askForToken();
  try {
    await loadPhones();
  } catch (err) {
    if (err instanceof Unauthorised) return askForToken('That admin token was not accepted.');
    return askForToken('Could not reach Batsignal: ' + err.message);
  }
  $('token-form').hidden = true;
  $('token-error').hidden = true;
  $('token-group').classList.remove('nhsuk-form-group--error');
  $('sim').hidden = false;
  chooseShown();
  render();
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  start();
});

$('add-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const phone = $('add-phone').value;
  if (phone && !shown.includes(phone)) setShown([...shown, phone]);
});

$('exercise-toggle').addEventListener('click', async () => {
  try {
    const r = await api('/api/exercise', { on: !exerciseOn });
    showExercise(r.on);
  } catch (err) {
    if (err instanceof Unauthorised) askForToken('That admin token is no longer accepted.');
  }
});

window.addEventListener('hashchange', () => {
  const next = takeToken();
  if (next && next !== token) {
    token = next;
    start();
  }
});

start();
`;
