// The sign-in form every admin page shows until the tab has a token (src/web/public/common.js).
export const SIGNIN_FORM = (action: string): string => `
<form id="signin" class="bs-signin" novalidate hidden>
  <div class="nhsuk-form-group" id="token-group">
    <label class="nhsuk-label nhsuk-label--s" for="token">Admin token</label>
    <div class="nhsuk-hint" id="token-hint">Printed when Batsignal started (and kept in its data directory as admin-token). It stays in this browser tab only.</div>
    <p class="nhsuk-error-message" id="token-error" hidden></p>
    <input class="nhsuk-input nhsuk-input--width-20" id="token" name="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-hint token-error">
  </div>
  <button class="nhsuk-button" type="submit">${action}</button>
</form>`;
