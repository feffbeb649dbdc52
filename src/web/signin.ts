// The sign-in form every admin page shows until the tab has a token (src/web/public/common.js):
// an admin signs in with a code texted to their phone (src/web/public/signin.js, the session is
// theirs and is recorded against their changes), or pastes the shared admin token.
export const SIGNIN_FORM = (action: string): string => `
<form id="signin" class="bs-signin" novalidate hidden>
  <h2 class="nhsuk-heading-m">Sign in with your phone</h2>
  <div class="nhsuk-form-group" id="signin-phone-group">
    <label class="nhsuk-label nhsuk-label--s" for="signin-phone">Your mobile number</label>
    <div class="nhsuk-hint" id="signin-phone-hint">For admins of the network: we text you a code. It works when email is down.</div>
    <p class="nhsuk-error-message" id="signin-phone-error" hidden></p>
    <input class="nhsuk-input nhsuk-input--width-20" id="signin-phone" name="phone" type="tel" autocomplete="tel" aria-describedby="signin-phone-hint signin-phone-error">
  </div>
  <button class="nhsuk-button nhsuk-button--secondary" type="button" id="signin-send-code">Text me a code</button>
  <div id="signin-code-step" hidden>
    <p class="nhsuk-body" id="signin-code-sent" role="status"></p>
    <div class="nhsuk-form-group" id="signin-code-group">
      <label class="nhsuk-label nhsuk-label--s" for="signin-code">Code from the text</label>
      <p class="nhsuk-error-message" id="signin-code-error" hidden></p>
      <input class="nhsuk-input nhsuk-input--width-10" id="signin-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" aria-describedby="signin-code-error">
    </div>
    <button class="nhsuk-button" type="button" id="signin-with-code">Sign in</button>
  </div>
  <h2 class="nhsuk-heading-m">Or use the admin token</h2>
  <div class="nhsuk-form-group" id="token-group">
    <label class="nhsuk-label nhsuk-label--s" for="token">Admin token</label>
    <div class="nhsuk-hint" id="token-hint">Printed when Batsignal started (and kept in its data directory as admin-token). It stays in this browser tab only.</div>
    <p class="nhsuk-error-message" id="token-error" hidden></p>
    <input class="nhsuk-input nhsuk-input--width-20" id="token" name="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-hint token-error">
  </div>
  <button class="nhsuk-button" type="submit">${action}</button>
</form>`;
