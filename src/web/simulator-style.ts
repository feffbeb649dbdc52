// The simulator's own styles, on top of the NHS.UK frontend (colours from its palette).
// Served as /simulator/simulator.css so the page's CSP can forbid inline styles.
export const SIMULATOR_STYLE = `
.sim-banner { background: #ffeb3b; color: #212b32; border-bottom: 4px solid #212b32; padding: 8px 0; font-size: 1.1875rem; }
.sim-exercise .sim-banner::after { content: ' · Exercise mode on'; font-weight: 700; }
.sim-intro { margin-bottom: 24px; }
.sim-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; margin-bottom: 8px; }
.sim-toolbar__item { margin-bottom: 0; }
.sim-add { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0 16px; }
.sim-add__group { margin-bottom: 16px; max-width: 100%; min-width: 0; }
.sim-add .nhsuk-select { max-width: 100%; }
.sim-add .nhsuk-button { margin-bottom: 16px; }
.sim--offline .sim-phones { opacity: 0.6; }
.sim-phones { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 24px; align-items: start; }
.sim-phone { margin-bottom: 0; border: 3px solid #212b32; border-radius: 28px; overflow: hidden; }
.sim-phone__content { padding: 16px; }
.sim-phone__head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
.sim-phone__name { margin-bottom: 4px; }
.sim-phone__hide { background: none; border: 0; color: #005eb8; text-decoration: underline; cursor: pointer; font: inherit; font-size: 1rem; padding: 0; }
.sim-phone__hide:focus { outline: 4px solid #ffeb3b; background: #ffeb3b; color: #212b32; }
.sim-phone__meta { margin-bottom: 8px; color: #4c6272; }
.sim-phone__org { display: block; }
.sim-thread { list-style: none; margin: 0 0 8px; padding: 8px; height: 24rem; overflow-y: auto; background: #f0f4f5;
  border-radius: 12px; display: flex; flex-direction: column; gap: 8px; }
.sim-thread:focus { outline: 4px solid #ffeb3b; }
.sim-thread__empty { margin-bottom: 8px; color: #4c6272; }
.sim-msg { max-width: 88%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1rem; line-height: 1.4; }
.sim-msg--from-batsignal { align-self: flex-start; background: #ffffff; border: 1px solid #d8dde0; border-bottom-left-radius: 4px; }
.sim-msg--from-phone { align-self: flex-end; background: #005eb8; color: #ffffff; border-bottom-right-radius: 4px; }
.sim-msg--exercise { border: 3px dashed #ed8b00; }
.sim-msg__meta { display: block; margin-top: 4px; font-size: 0.875rem; color: #4c6272; }
.sim-msg--from-phone .sim-msg__meta { color: #e8edee; }
.sim-msg__error { display: block; margin-top: 4px; font-size: 0.875rem; font-weight: 700; color: #ffffff; background: #d5281b; padding: 2px 6px; border-radius: 4px; }
.sim-compose { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-end; }
.sim-compose__text { flex: 1 1 160px; margin-bottom: 0; min-height: 3rem; resize: vertical; }
.sim-compose__send { margin-bottom: 0; }
.sim-compose__error { flex-basis: 100%; margin-bottom: 0; }
@media (max-width: 40.0525em) {
  .sim-phones { grid-template-columns: 1fr; gap: 16px; }
  .sim-thread { height: 18rem; }
}
`;
