// The few rules the NHS.UK stylesheet has no class for: the counts grid and toolbars.
// Served as a file (the page's CSP allows no inline style).
export const DASHBOARD_STYLE = `
[hidden] { display: none !important; }
.bs-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; }
.bs-toolbar__item { margin-bottom: 0; }
.bs-counts { list-style: none; margin: 0 0 24px; padding: 0; display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }
.bs-count { background: #fff; border: 1px solid #d8dde0; border-left: 6px solid #005eb8; padding: 8px 12px; }
.bs-count--good { border-left-color: #007f3b; }
.bs-count--bad { border-left-color: #d5281b; }
.bs-count--warn { border-left-color: #ffb81c; }
.bs-count__value { display: block; font-size: 2rem; font-weight: 700; line-height: 1.2; }
.bs-count__label { display: block; font-size: 1rem; }
.bs-summary { overflow-wrap: anywhere; }
@media (max-width: 40.0525em) {
  .bs-counts { grid-template-columns: repeat(2, 1fr); }
  .bs-count__value { font-size: 1.5rem; }
}
`;
