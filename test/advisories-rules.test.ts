// The advisory rules, table-driven, no database: targeting, routing, the response machine,
// deadlines, wording and request validation.
import t from 'tap';
import fc from 'fast-check';
import { matchTarget, parseTarget, describeTarget, type Target, type TargetableOrg } from '../src/advisories/target.js';
import { effectiveRouting, routeAdvisory, type RoutableOrg } from '../src/advisories/routing.js';
import { answerResponse, ANSWERS, onTime, RESPONSES, transitionTable, type Answer, type ResponseState } from '../src/advisories/response.js';
import { deadlines, dueStep } from '../src/advisories/deadline.js';
import { advisoryText, advisoryReminderText, advisoryEscalationText, advisorySubject, formatDayTime } from '../src/advisories/text.js';
import { parseAdvisoryRequest, MAX_BODY } from '../src/advisories/request.js';
import { isGsm7 } from '../src/text/gsm7.js';
import { renderAdvisoryEmail } from '../src/channels/email/advisory.js';

const T = (over: Partial<Target>): Target => ({ all: false, types: [], regions: [], odsCodes: [], products: [], ...over });
const org = (over: Partial<TargetableOrg>): TargetableOrg => ({ odsCode: 'RX1', type: 'trust', region: 'London', products: ['Juniper ScreenOS', 'Windows'], ...over });

t.test('targeting: AND across criteria, OR within, products case-insensitive, estate unknown', async (t) => {
  const cases: [string, TargetableOrg, Target, { included: boolean; estateUnknown: boolean }][] = [
    ['type matches', org({}), T({ types: ['trust'] }), { included: true, estateUnknown: false }],
    ['type differs', org({ type: 'gp_practice' }), T({ types: ['trust'] }), { included: false, estateUnknown: false }],
    ['either type (OR)', org({ type: 'gp_practice' }), T({ types: ['trust', 'gp_practice'] }), { included: true, estateUnknown: false }],
    ['type AND region, region differs', org({ region: 'North West' }), T({ types: ['trust'], regions: ['London'] }), { included: false, estateUnknown: false }],
    ['region any case', org({ region: 'north west' }), T({ regions: [' North West'] }), { included: true, estateUnknown: false }],
    ['no region recorded, region asked', org({ region: null }), T({ regions: ['London'] }), { included: false, estateUnknown: false }],
    ['ods code listed', org({ odsCode: 'A81001' }), T({ odsCodes: ['A81001', 'A81002'] }), { included: true, estateUnknown: false }],
    ['ods code not listed', org({ odsCode: 'A81003' }), T({ odsCodes: ['A81001'] }), { included: false, estateUnknown: false }],
    ['product any case', org({}), T({ products: ['juniper screenos'] }), { included: true, estateUnknown: false }],
    ['product one of several (OR)', org({ products: ['Citrix ADC'] }), T({ products: ['Juniper ScreenOS', 'citrix adc'] }), { included: true, estateUnknown: false }],
    ['product not run', org({ products: ['Windows'] }), T({ products: ['Juniper ScreenOS'] }), { included: false, estateUnknown: false }],
    ['no product list: included, flagged', org({ products: null }), T({ products: ['Juniper ScreenOS'] }), { included: true, estateUnknown: true }],
    ['empty product list (runs none of them): out', org({ products: [] }), T({ products: ['Juniper ScreenOS'] }), { included: false, estateUnknown: false }],
    ['no product list, type differs: out', org({ products: null, type: 'icb' }), T({ types: ['trust'], products: ['Juniper ScreenOS'] }), { included: false, estateUnknown: false }],
    ['no product list, no product criterion: not flagged', org({ products: null }), T({ types: ['trust'] }), { included: true, estateUnknown: false }],
    ['all', org({ type: 'other', region: null, products: null }), T({ all: true }), { included: true, estateUnknown: false }],
    ['type AND product both hold', org({}), T({ types: ['trust'], products: ['JUNIPER SCREENOS'] }), { included: true, estateUnknown: false }],
  ];
  for (const [name, o, target, want] of cases) t.same(matchTarget(o, target), want, name);
});

t.test('target validation: empty refused, everybody explicit, unknown types named', async (t) => {
  const bad: [unknown, RegExp][] = [
    [{}, /target is empty.*\{"all": true\}/],
    [{ all: false }, /target is empty/],
    [{ types: [] }, /types is an empty list/],
    [{ types: ['hospital'] }, /unknown organisation type "hospital"; known types: trust, gp_practice/],
    [{ odsCodes: ['A8100!'] }, /is not an ODS code/],
    [{ all: true, types: ['trust'] }, /all cannot be combined with types/],
    [{ colour: 'red' }, /target.colour is not a criterion/],
    [{ products: 'x'.repeat(201) }, /at most 200 characters/],
    [{ products: [1] }, /non-empty strings/],
    [null, /target must be an object/],
    [[], /target must be an object/],
    [{ all: 'yes' }, /target.all must be true or false/],
  ];
  for (const [v, re] of bad) {
    const r = parseTarget(v);
    t.equal(r.ok, false, JSON.stringify(v));
    if (!r.ok) t.match(r.problems.join(' | '), re, JSON.stringify(v));
  }
  const ok = parseTarget({ types: ['Trust', 'trust'], odsCodes: ['a81001'], products: ' Juniper ScreenOS ' });
  t.same(ok, { ok: true, value: { all: false, types: ['trust'], regions: [], odsCodes: ['A81001'], products: ['Juniper ScreenOS'] } });
  t.same(parseTarget({ all: true }), { ok: true, value: T({ all: true }) });
  if (ok.ok) t.equal(describeTarget(ok.value), 'type trust AND ODS code A81001 AND product Juniper ScreenOS');
});

t.test('no input breaks target validation', async () => {
  fc.assert(fc.property(fc.anything(), (v) => {
    const r = parseTarget(v);
    return r.ok ? r.value.all || r.value.types.length + r.value.regions.length + r.value.odsCodes.length + r.value.products.length > 0 : r.problems.length > 0;
  }), { numRuns: 500 });
});

t.test('routing: default rule, each policy, one contact for many organisations', async (t) => {
  t.equal(effectiveRouting({ odsCode: 'A1', routing: null, itSupportOdsCode: null }), 'direct');
  t.equal(effectiveRouting({ odsCode: 'A1', routing: null, itSupportOdsCode: 'CSU1' }), 'both');
  t.equal(effectiveRouting({ odsCode: 'A1', routing: 'via_support', itSupportOdsCode: 'CSU1' }), 'via_support');

  const primaries = new Map<string, number[]>([['CSU1', [100, 101]], ['A1', [1]], ['A2', [2]], ['RX1', [9]]]);
  const orgs: RoutableOrg[] = [
    { odsCode: 'A1', routing: 'direct', itSupportOdsCode: 'CSU1' },
    { odsCode: 'A2', routing: 'via_support', itSupportOdsCode: 'CSU1' },
    { odsCode: 'A3', routing: 'both', itSupportOdsCode: 'CSU1' }, // no primary of its own
    { odsCode: 'A4', routing: 'direct', itSupportOdsCode: null }, // nobody: unreachable
    { odsCode: 'A5', routing: 'via_support', itSupportOdsCode: null }, // no support unit: unreachable
    { odsCode: 'RX1', routing: null, itSupportOdsCode: null },
  ];
  const r = routeAdvisory(orgs, primaries);
  const by = Object.fromEntries(r.organisations.map((o) => [o.odsCode, o.contacts.map((c) => `${c.memberId}:${c.route}`)]));
  t.same(by, {
    A1: ['1:direct'],
    A2: ['100:via_support', '101:via_support'],
    A3: ['100:via_support', '101:via_support'],
    A4: [],
    A5: [],
    RX1: ['9:direct'],
  });
  t.same(r.unreachable, ['A4', 'A5']);
  t.same(r.contacts.get(100), ['A2', 'A3'], 'the CSU contact answers for both practices routed through it');

  // A CSU contact covering 30 practices: one contact entry with 30 organisations, so one text.
  const practices: RoutableOrg[] = Array.from({ length: 30 }, (_, i) => ({ odsCode: `P${i + 100}`, routing: 'via_support', itSupportOdsCode: 'CSU1' }));
  const csu = routeAdvisory(practices, new Map([['CSU1', [100]]]));
  t.equal(csu.contacts.size, 1);
  t.equal(csu.contacts.get(100)!.length, 30);
  t.match(advisoryText({ number: 14, severity: 'high', title: 'Juniper ScreenOS', respondBy: null, exercise: false }, 30), /You answer for 30 organisations/);

  // A contact who is primary of the practice and of its support unit is listed once, as direct.
  const both = routeAdvisory([{ odsCode: 'A1', routing: 'both', itSupportOdsCode: 'CSU1' }], new Map([['A1', [7]], ['CSU1', [7, 8]]]));
  t.same(both.organisations[0]!.contacts, [{ memberId: 7, route: 'direct' }, { memberId: 8, route: 'via_support' }]);
});

t.test('response machine: forward only, corrections between affected and not affected, resolved final', async (t) => {
  const table: [ResponseState, Answer, ResponseState, boolean][] = [
    ['no_response', 'ack', 'acknowledged', true],
    ['acknowledged', 'ack', 'acknowledged', false],
    ['no_response', 'affected', 'affected', true],
    ['acknowledged', 'not_affected', 'not_affected', true],
    ['affected', 'not_affected', 'not_affected', true],
    ['not_affected', 'affected', 'affected', true],
    ['affected', 'ack', 'affected', false],
    ['no_response', 'resolved', 'resolved', true], // RESOLVED before ACK: accepted, implies ACK
    ['affected', 'resolved', 'resolved', true],
    ['resolved', 'affected', 'resolved', false],
    ['resolved', 'ack', 'resolved', false],
    ['no_response', 'need_help', 'acknowledged', true],
    ['affected', 'need_help', 'affected', false],
  ];
  for (const [from, answer, next, changed] of table) {
    const r = answerResponse(from, answer);
    t.same([r.next, r.changed], [next, changed], `${from} + ${answer}`);
  }
  t.equal(answerResponse('resolved', 'need_help').needHelp, true);
  t.equal(transitionTable().length, RESPONSES.length * ANSWERS.length);
  // No answer ever leads back to no_response, and every answer leaves a response recorded.
  for (const row of transitionTable()) t.not(row.next, 'no_response', `${row.state} + ${row.answer}`);
});

t.test('on time and deadlines', async (t) => {
  const at = new Date('2026-12-01T09:00:00Z');
  const high = deadlines(at, 'high');
  t.same(high, { windowHours: 48, respondBy: new Date('2026-12-03T09:00:00Z'), remindAt: new Date('2026-12-02T09:00:00Z') });
  t.equal(deadlines(at, 'medium').windowHours, 168);
  t.same(deadlines(at, 'low'), { windowHours: null, respondBy: null, remindAt: null });
  t.equal(deadlines(at, 'low', 10).respondBy!.toISOString(), '2026-12-01T19:00:00.000Z');
  t.equal(dueStep(high, new Date('2026-12-02T08:59:59Z')), 'none');
  t.equal(dueStep(high, new Date('2026-12-02T09:00:00Z')), 'remind');
  t.equal(dueStep(high, new Date('2026-12-03T09:00:00Z')), 'escalate');
  t.equal(dueStep(deadlines(at, 'low'), new Date('2030-01-01T00:00:00Z')), 'none');
  t.equal(onTime(new Date('2026-12-03T09:00:00Z'), high.respondBy), true, 'at the deadline is on time');
  t.equal(onTime(new Date('2026-12-03T09:00:01Z'), high.respondBy), false, 'a second late is late');
  t.equal(onTime(new Date('2030-01-01T00:00:00Z'), null), true);
});

t.test('wording: the contract text, exercise everywhere, GSM-7', async (t) => {
  const a = { number: 14, severity: 'high' as const, title: 'Juniper ScreenOS: patch now', respondBy: new Date('2026-12-01T14:00:00Z'), exercise: false };
  t.equal(formatDayTime(a.respondBy), 'Tue 1 Dec 14:00');
  t.equal(formatDayTime(new Date('2026-07-01T13:00:00Z')), 'Wed 1 Jul 14:00', 'UK summer time');
  t.equal(advisoryText(a, 1), 'NHS CYBER ADVISORY #14 (HIGH): Juniper ScreenOS: patch now. Respond by Tue 1 Dec 14:00: reply ACK 14. Details by email.');
  t.equal(advisoryText({ ...a, severity: 'low', respondBy: null }, 1), 'NHS CYBER ADVISORY #14 (LOW): Juniper ScreenOS: patch now. Reply ACK 14. Details by email.');
  const ex = { ...a, exercise: true, title: '\u201cQuoted\u201d \u2013 title\u2026' };
  for (const s of [advisoryText(ex, 3), advisoryReminderText(ex, 2, 3), advisoryEscalationText(ex, ['Northtown Trust']), advisorySubject(ex)]) {
    t.match(s, /^(Reminder: |OVERDUE )?EXERCISE NHS CYBER ADVISORY #14/, s);
    t.ok(isGsm7(s), `GSM-7: ${s}`);
  }
  t.match(advisoryText(ex, 3), /THIS IS AN EXERCISE\.$/);
  t.match(advisoryReminderText(a, 2, 3), /No response yet for 2 of your 3 organisations/);
  t.match(advisoryEscalationText(a, ['Northtown Trust']), /No response from Northtown Trust by the deadline/);
  t.match(advisoryEscalationText(a, ['A', 'B']), /No response from 2 organisations/);
});

t.test('request validation: each bad input a clear answer', async (t) => {
  const good = { title: 'Juniper ScreenOS', body: 'Patch to 6.3.0r21.', severity: 'high', target: { products: ['Juniper ScreenOS'] } };
  const r = parseAdvisoryRequest(good);
  t.equal(r.ok, true);
  if (r.ok) t.same([r.value.severity, r.value.respondWithinHours, r.value.exercise, r.value.dryRun], ['high', null, false, false]);
  const bad: [unknown, RegExp][] = [
    [{ ...good, body: 'x'.repeat(MAX_BODY + 1) }, /body is 10,001 characters; at most 10,000/],
    [{ ...good, title: '' }, /title is required/],
    [{ ...good, severity: 'critical' }, /severity must be one of high, medium, low/],
    [{ ...good, target: {} }, /target is empty/],
    [{ ...good, target: undefined }, /target is required/],
    [{ ...good, target: { types: ['hospital'] } }, /unknown organisation type/],
    [{ ...good, respondWithinHours: 0 }, /respondWithinHours must be a whole number/],
    [{ ...good, dryRun: 'yes' }, /dryRun must be true or false/],
    [{ ...good, urgent: true }, /urgent is not a field/],
    [{ ...good, body: 'a\u0000b' }, /cannot be stored/],
    ['text', /must be a JSON object/],
  ];
  for (const [v, re] of bad) {
    const p = parseAdvisoryRequest(v);
    t.equal(p.ok, false);
    if (!p.ok) t.match(p.problems.join(' | '), re);
  }
  fc.assert(fc.property(fc.anything(), (v) => {
    const p = parseAdvisoryRequest(v);
    return p.ok || p.problems.length > 0;
  }), { numRuns: 300 });
});

t.test('the advisory email carries the body, the deadline, the organisations and EXERCISE', async (t) => {
  const facts = {
    number: 14, title: 'Juniper <ScreenOS>', body: 'Patch to 6.3.0r21.\nCheck logs.', severity: 'high', respondBy: new Date('2026-12-03T09:00:00Z'),
    exercise: true, createdAt: new Date('2026-12-01T09:00:00Z'), organisations: [{ odsCode: 'A81001', name: 'Riverside' }, { odsCode: 'A81002', name: 'Hillside' }], overdue: false,
  };
  const m = renderAdvisoryEmail(facts, { batsignalNumber: '447700900999', smsOptedOut: false });
  t.equal(m.subject, 'EXERCISE NHS CYBER ADVISORY #14 (HIGH): Juniper <ScreenOS>');
  t.match(m.text, /THIS IS AN EXERCISE[\s\S]*Patch to 6\.3\.0r21\.\nCheck logs\.[\s\S]*A81001 Riverside[\s\S]*AFFECTED 14 or NOT AFFECTED 14[\s\S]*One reply counts for all 2 organisations/);
  t.match(m.text, /Respond by Thu, 3 Dec 2026, 09:00 GMT/);
  t.match(m.html, /Juniper &lt;ScreenOS&gt;/);
  t.notMatch(m.html, /<ScreenOS>/);
  t.match(renderAdvisoryEmail({ ...facts, overdue: true, exercise: false }, { batsignalNumber: '447700900999', smsOptedOut: true }).subject, /^OVERDUE NHS CYBER ADVISORY #14/);
});
