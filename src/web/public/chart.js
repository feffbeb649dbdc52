// @ts-check
// The dashboard's chart of one alert over time (/api/alerts/:n/timeline): texts sent, delivered and
// failed, and acknowledgements, cumulative; a second chart of organisations covered when the alert
// concerns organisations. Drawn with uPlot (served by this service, no CDN): uPlot sizes its own
// elements through the DOM (element.style), which the page's CSP allows; nothing inline in markup.
// Screen readers get a summary sentence and a table of the times when something changed (the
// canvases are hidden from them). It follows the alert the dashboard shows: dashboard.js dispatches
// 'batsignal:alert' after each refresh.
import uPlot from './uPlot.esm.js';
import { $, api, clear, el, Unauthorised } from './common.js';

/** @typedef {import('./api').AlertDetail} AlertDetail */
/**
 * @typedef {{ alert: number, bucketSeconds: number, recipients: number, organisations: number | null, t: number[],
 *   sent: number[], delivered: number[], failed: number[], acknowledged: number[], covered: number[] | null }} Timeline
 */

const HEIGHT = 220;
/** NHS.UK colours; failed is dashed as well as red, so the lines differ by more than colour. */
const MEMBER_SERIES = [
  { key: 'sent', label: 'Sent', stroke: '#768692', dash: [2, 3] },
  { key: 'delivered', label: 'Delivered', stroke: '#007f3b', dash: undefined },
  { key: 'failed', label: 'Failed', stroke: '#d5281b', dash: [8, 4] },
  { key: 'acknowledged', label: 'Acknowledged', stroke: '#005eb8', dash: undefined },
];

/** @typedef {{ n: number, key: string, plots: uPlot[], recipients: number, organisations: number }} Shown */
/** @type {Shown | null} */
let shown = null;
let busy = false;
/** @type {number | null} */
let wanted = null;

/** @param {number} s */
const clock = (s) => new Date(s * 1000).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** An x-axis label: the time, with the day when the axis spans more than a day. @param {number} s */
function tick(s) {
  const d = new Date(s * 1000);
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return spanDays ? `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${time}` : time;
}
let spanDays = false;

/** @param {number} n @param {string} one @param {string} many */
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function width() {
  return Math.max(240, $('timeline').clientWidth - 2); // less the chart's border
}

/**
 * @param {HTMLElement} target
 * @param {string} title
 * @param {{ label: string, stroke: string, dash: number[] | undefined }[]} series
 * @param {uPlot.AlignedData} data
 * @param {() => number} top the y axis runs from 0 to this (the recipients, or the organisations)
 */
function plot(target, title, series, data, top) {
  /** @type {uPlot.Options} */
  const opts = {
    title,
    width: width(),
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: () => [0, Math.max(1, top())] } },
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash, points: { show: false } }))],
    // Times as people here write them (24-hour, UK dates), not uPlot's US default.
    axes: [{ stroke: '#212b32', values: (_u, splits) => splits.map(tick) }, { stroke: '#212b32', size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }],
    legend: { live: false },
    cursor: { show: false },
  };
  return new uPlot(opts, data, target);
}

/** @param {Timeline} tl */
function summary(tl) {
  const last = (/** @type {number[]} */ a) => a[a.length - 1] ?? 0;
  const upTo = clock(tl.t[tl.t.length - 1] ?? 0);
  let s =
    `By ${upTo}: ${plural(last(tl.sent), 'text', 'texts')} sent to ${plural(tl.recipients, 'recipient', 'recipients')}, ` +
    `${last(tl.delivered)} delivered, ${last(tl.failed)} failed, ${last(tl.acknowledged)} of ${tl.recipients} acknowledged.`;
  if (tl.covered && tl.organisations !== null) s += ` ${last(tl.covered)} of ${plural(tl.organisations, 'organisation', 'organisations')} covered.`;
  return s;
}

/** The times something changed, as a table for screen readers. @param {Timeline} tl */
function table(tl) {
  // Hidden by a wrapper: a table ignores the 1 px width of the visually hidden class.
  const wrap = el('div', 'nhsuk-u-visually-hidden');
  wrap.id = 'timeline-data';
  const t = el('table');
  t.id = 'timeline-table';
  wrap.append(t);
  t.append(el('caption', null, `Alert #${tl.alert} over time, in ${tl.bucketSeconds}-second steps: times when a count changed`));
  const head = el('tr');
  const cols = [['Time by', null], ['Sent', tl.sent], ['Delivered', tl.delivered], ['Failed', tl.failed], ['Acknowledged', tl.acknowledged]];
  if (tl.covered) cols.push(['Organisations covered', tl.covered]);
  for (const [label] of cols) {
    const th = el('th', null, label);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (let i = 1; i < tl.t.length; i++) {
    const changed = cols.some(([, v]) => v !== null && typeof v === 'object' && v[i] !== v[i - 1]);
    if (!changed) continue;
    const tr = el('tr');
    tr.append(el('td', null, clock(tl.t[i] ?? 0)));
    for (const [, v] of cols.slice(1)) tr.append(el('td', null, Array.isArray(v) ? v[i] : ''));
    body.append(tr);
  }
  if (!body.firstChild) {
    const tr = el('tr');
    const td = el('td', null, 'Nothing sent or acknowledged yet.');
    td.colSpan = cols.length;
    tr.append(td);
    body.append(tr);
  }
  t.append(thead, body);
  return wrap;
}

/** @param {Timeline} tl */
function draw(tl) {
  const key = JSON.stringify(tl);
  spanDays = (tl.t[tl.t.length - 1] ?? 0) - (tl.t[0] ?? 0) > 86400;
  if (shown && shown.n === tl.alert && shown.key === key) return;
  const box = $('timeline');
  const sameAlert = shown !== null && shown.n === tl.alert && shown.plots.length === (tl.covered ? 2 : 1);
  $('timeline-summary').textContent = summary(tl);
  const old = document.getElementById('timeline-data');
  if (old) old.replaceWith(table(tl));
  else $('timeline-section').append(table(tl));
  /** @type {uPlot.AlignedData} */
  const members = [tl.t, tl.sent, tl.delivered, tl.failed, tl.acknowledged];
  const recipients = tl.recipients;
  const organisations = tl.organisations ?? 0;
  if (sameAlert && shown) {
    shown.plots[0]?.setData(members);
    if (tl.covered) shown.plots[1]?.setData([tl.t, tl.covered]);
    shown.key = key;
    shown.recipients = recipients;
    shown.organisations = organisations;
    return;
  }
  for (const p of shown?.plots ?? []) p.destroy();
  clear(box);
  /** @type {Shown} */
  const state = { n: tl.alert, key, plots: [], recipients, organisations };
  const membersBox = el('div', 'bs-chart');
  membersBox.id = 'timeline-members';
  box.append(membersBox);
  state.plots.push(plot(membersBox, 'Texts and acknowledgements', MEMBER_SERIES, members, () => state.recipients));
  if (tl.covered) {
    const orgBox = el('div', 'bs-chart');
    orgBox.id = 'timeline-organisations';
    box.append(orgBox);
    state.plots.push(plot(orgBox, 'Organisations covered', [{ label: 'Covered', stroke: '#330072', dash: undefined }], [tl.t, tl.covered], () => state.organisations));
  }
  shown = state;
}

/** Loads and draws alert n's timeline; one request at a time, the latest alert wins. @param {number} n */
async function load(n) {
  wanted = n;
  if (busy) return;
  busy = true;
  try {
    while (wanted !== null) {
      const next = wanted;
      wanted = null;
      try {
        /** @type {Timeline} */
        const tl = await api(`/api/alerts/${next}/timeline`);
        if (wanted === null || wanted === next) draw(tl);
        $('timeline-section').hidden = false;
      } catch (err) {
        // The dashboard's own refresh reports a refused token or a failure; the chart waits for the next one.
        if (!(err instanceof Unauthorised)) $('timeline-summary').textContent = 'The chart could not be loaded; trying again.';
      }
    }
  } finally {
    busy = false;
  }
}

document.addEventListener('batsignal:alert', (e) => {
  const a = /** @type {CustomEvent<AlertDetail>} */ (e).detail;
  void load(a.number);
});

// Follow the column's width (a phone turned, a window resized).
new ResizeObserver(() => {
  if (!shown) return;
  const w = width();
  for (const p of shown.plots) if (Math.abs(p.width - w) > 1) p.setSize({ width: w, height: HEIGHT });
}).observe($('timeline'));
