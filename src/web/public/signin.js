// @ts-check
// Signing in with a code texted to an admin's phone: POST /api/signin/code, then
// /api/signin/verify gives a session token of the admin's own, kept in this tab like the admin
// token (common.js). Signing out ends the session on the server too.
import { $, button, fieldError, getToken, input, setToken } from './common.js';

/** @param {string} path @param {unknown} body */
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
  /** @type {{ message?: string, token?: string }} */
  const b = await res.json().catch(() => ({}));
  return { ok: res.ok, message: typeof b.message === 'string' ? b.message : `The server answered ${res.status}`, token: b.token };
}

/** Wires the phone sign-in of SIGNIN_FORM (src/web/signin.ts). @param {() => void} onSignedIn */
export function wirePhoneSignin(onSignedIn) {
  const phone = input('signin-phone');
  const code = input('signin-code');
  const sendCode = async () => {
    fieldError('signin-phone-group', 'signin-phone', 'signin-phone-error', '');
    if (!phone.value.trim()) return fieldError('signin-phone-group', 'signin-phone', 'signin-phone-error', 'Enter your mobile number');
    button('signin-send-code').disabled = true;
    try {
      const r = await post('/api/signin/code', { phone: phone.value.trim() });
      if (!r.ok) return fieldError('signin-phone-group', 'signin-phone', 'signin-phone-error', r.message);
      $('signin-code-sent').textContent = r.message;
      $('signin-code-step').hidden = false;
      code.focus();
    } finally {
      button('signin-send-code').disabled = false;
    }
  };
  const useCode = async () => {
    fieldError('signin-code-group', 'signin-code', 'signin-code-error', '');
    if (!/^\s*\d{6}\s*$/.test(code.value)) return fieldError('signin-code-group', 'signin-code', 'signin-code-error', 'Enter the 6-digit code from the text');
    const r = await post('/api/signin/verify', { phone: phone.value.trim(), code: code.value.trim() });
    if (!r.ok || !r.token) return fieldError('signin-code-group', 'signin-code', 'signin-code-error', r.message);
    setToken(r.token);
    code.value = '';
    $('signin-code-step').hidden = true;
    onSignedIn();
  };
  button('signin-send-code').addEventListener('click', () => void sendCode());
  button('signin-with-code').addEventListener('click', () => void useCode());
  // Enter in these fields belongs to them, not to the admin token's submit button.
  phone.addEventListener('keydown', (e) => {
    if (e instanceof KeyboardEvent && e.key === 'Enter') {
      e.preventDefault();
      void sendCode();
    }
  });
  code.addEventListener('keydown', (e) => {
    if (e instanceof KeyboardEvent && e.key === 'Enter') {
      e.preventDefault();
      void useCode();
    }
  });
}

/** Forgets the tab's token; a signed-in admin's session is ended on the server as well. */
export function signOut() {
  const t = getToken();
  setToken(null);
  if (t) void fetch('/api/signout', { method: 'POST', headers: { Authorization: `Bearer ${t}` }, cache: 'no-store', credentials: 'omit' }).catch(() => undefined);
}
