// @ts-check
// What every page script shares: the token for this tab, the JSON API with a bearer token,
// and building elements with textContent only (nothing from the API is ever parsed as markup).
import { initAll } from './nhsuk-frontend.min.js';

/** sessionStorage key of the bearer token: the admin token or a signed-in admin's session. */
export const TOKEN_KEY = 'batsignal.adminToken';

/** @param {string} id */
export function $(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`no #${id} on this page`);
  return e;
}

/** @param {string} id */
export function input(id) {
  const e = $(id);
  if (!(e instanceof HTMLInputElement || e instanceof HTMLTextAreaElement || e instanceof HTMLSelectElement)) throw new Error(`#${id} is not a field`);
  return e;
}

/** @param {string} id */
export function form(id) {
  const e = $(id);
  if (!(e instanceof HTMLFormElement)) throw new Error(`#${id} is not a form`);
  return e;
}

/** @param {string} id */
export function button(id) {
  const e = $(id);
  if (!(e instanceof HTMLButtonElement)) throw new Error(`#${id} is not a button`);
  return e;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | null} [className]
 * @param {unknown} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** @param {Element} e */
export function clear(e) {
  e.replaceChildren();
}

/** @param {string} label @param {string} colour */
export function tag(label, colour) {
  return el('strong', `nhsuk-tag nhsuk-tag--${colour}`, label);
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} t */
export function setToken(t) {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage off: this page load only
  }
}

/** The start-up line prints a link ending #token=...: keep the token for this tab and drop it from the address bar. */
export function takeTokenFromHash() {
  const m = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (!m || !m[1]) return false;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
  return true;
}

/** The token was refused (401): the caller asks for it again. */
export class Unauthorised extends Error {
  constructor() {
    super('unauthorised');
  }
}

/** An error answer from the API: its status and the server's message. */
export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {string} [code] */
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @typedef {{ method?: string, body?: unknown, raw?: BodyInit, contentType?: string, accept?: string }} ApiOptions
 */

/**
 * Calls the JSON API with the tab's token. 401 throws Unauthorised; any other failure ApiError.
 * @param {string} path
 * @param {ApiOptions} [o]
 * @returns {Promise<any>}
 */
export async function api(path, o = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: o.accept ?? 'application/json' };
  const t = getToken();
  if (t) headers.Authorization = `Bearer ${t}`;
  /** @type {BodyInit | undefined} */
  let body;
  if (o.raw !== undefined) {
    body = o.raw;
    headers['Content-Type'] = o.contentType ?? 'text/plain';
  } else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, cache: 'no-store', credentials: 'omit' });
  if (res.status === 401) throw new Unauthorised();
  if (!res.ok) {
    /** @type {{ message?: unknown, error?: unknown }} */
    const b = await res.json().catch(() => ({}));
    throw new ApiError(res.status, typeof b.message === 'string' ? b.message : `The server answered ${res.status}`, typeof b.error === 'string' ? b.error : undefined);
  }
  if (res.status === 204) return null;
  if (o.accept === 'text/csv') return res.blob();
  return res.json();
}

/** Saves a blob as a file (a plain link could not carry the bearer token). @param {Blob} blob @param {string} name */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Shows or clears an NHS.UK field error. @param {string} groupId @param {string} fieldId @param {string} errorId @param {string} message */
export function fieldError(groupId, fieldId, errorId, message) {
  const err = $(errorId);
  clear(err);
  const on = message !== '';
  if (on) err.append(el('span', 'nhsuk-u-visually-hidden', 'Error: '), message);
  err.hidden = !on;
  $(groupId).classList.toggle('nhsuk-form-group--error', on);
  const f = $(fieldId);
  f.classList.toggle(f instanceof HTMLTextAreaElement ? 'nhsuk-textarea--error' : f instanceof HTMLSelectElement ? 'nhsuk-select--error' : 'nhsuk-input--error', on);
}

/** A short local date and time. @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** +447700900123 as 07700 900123; other countries as they are. @param {string} phone */
export function national(phone) {
  if (/^\+44\d{10}$/.test(phone)) return `0${phone.slice(3, 7)} ${phone.slice(7)}`;
  return phone;
}

/** A table cell with the NHS.UK responsive heading. @param {string} heading @param {string | Node | null} content */
export function cell(heading, content) {
  const td = el('td', 'nhsuk-table__cell');
  const h = el('span', 'nhsuk-table-responsive__heading', `${heading} `);
  h.setAttribute('aria-hidden', 'true');
  td.append(h);
  if (content !== null) td.append(content);
  return td;
}

/** Parts joined by spaces, skipping empty ones. @param {...(string | Node | null | undefined)} parts */
export function span(...parts) {
  const s = el('span');
  for (const p of parts) {
    if (p === null || p === undefined || p === '') continue;
    if (s.firstChild) s.append(' ');
    s.append(p);
  }
  return s;
}

// What NHS.UK's template does with an inline script: mark the page as running its JavaScript.
document.body.classList.add('nhsuk-frontend-supported');
initAll();
