// Types for /assets/web/nhsuk-frontend.min.js, which the server sends from the nhsuk-frontend package.
export { initAll } from 'nhsuk-frontend';
