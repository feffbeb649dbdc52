// The pure machine, table-driven: every state x every command, no database.
import t from 'tap';
import { parseCommand } from '../src/conversation/parse.js';
import { asState, contextNeeds, IDLE, step, stepPlan, type ConversationState, type StepContext } from '../src/conversation/machine.js';

const NOW = new Date('2026-11-23T10:00:00Z');
const LIVE = new Date(NOW.getTime() + 10 * 60_000).toISOString();
const PAST = new Date(NOW.getTime() - 60_000).toISOString();
const CODE = '123456';

function ctx(over: Partial<StepContext> = {}): StepContext {
  return {
    member: { id: 1, role: 'member' },
    settings: { thresholdQuestion: 'Have you detected an infected computer? Reply YES or NO', raiseExpiryMinutes: 15, maxRaisesPerHour: 3, forumUrl: 'https://forum.example' },
    code: '654321', // the fresh code a new confirmation would use
    audienceSize: 41,
    raisesLastHour: 0,
    alert: { number: 12, raisedBy: 1, status: 'open', reach: 30 },
    ...over,
  };
}

const STATES: Record<string, ConversationState> = {
  idle: IDLE,
  threshold: { name: 'awaitingThreshold', summary: null, exercise: false, expiresAt: LIVE },
  thresholdWithSummary: { name: 'awaitingThreshold', summary: 'Ransomware on PACS', exercise: false, expiresAt: LIVE },
  description: { name: 'awaitingDescription', exercise: false, expiresAt: LIVE },
  confirmRaise: { name: 'awaitingConfirm', action: { kind: 'raise', summary: 'Ransomware on PACS', exercise: false }, code: CODE, wrongAttempts: 0, expiresAt: LIVE },
  confirmUpdate: { name: 'awaitingConfirm', action: { kind: 'update', alert: 12, text: 'Patch out' }, code: CODE, wrongAttempts: 0, expiresAt: LIVE },
  confirmAllclear: { name: 'awaitingConfirm', action: { kind: 'allclear', alert: 12, text: '' }, code: CODE, wrongAttempts: 0, expiresAt: LIVE },
  expiredThreshold: { name: 'awaitingThreshold', summary: null, exercise: false, expiresAt: PAST },
  expiredConfirmUpdate: { name: 'awaitingConfirm', action: { kind: 'update', alert: 12, text: 'Patch out' }, code: CODE, wrongAttempts: 0, expiresAt: PAST },
};

const COMMANDS: Record<string, string> = {
  raise: 'RAISE',
  raiseSummary: 'RAISE Phishing wave',
  yes: 'YES',
  no: 'NO',
  confirmRight: `CONFIRM ${CODE}`,
  confirmWrong: 'CONFIRM 999999',
  confirmBare: 'CONFIRM',
  bareCode: CODE,
  cancel: 'CANCEL',
  ack: 'ACK',
  ack12: 'ACK 12',
  ok: 'OK',
  status: 'STATUS 12',
  help: 'HELP',
  stop: 'STOP',
  start: 'START',
  update: 'UPDATE 12 Isolate SMB',
  allclear: 'ALLCLEAR 12',
  text: 'Ransomware on PACS at Northtown',
};

// next: a state name, or '=' for unchanged. reply: a pattern, or null for no reply from the machine.
type Expect = { next: string; reply: RegExp | null; effects?: string[] };
const same = (reply: RegExp | null, effects: string[] = []): Expect => ({ next: '=', reply, effects });
const to = (next: string, reply: RegExp | null, effects: string[] = []): Expect => ({ next, reply, effects });

// Any time, any state, leaving the state alone.
const anyTime: Record<string, Expect> = {
  ack: same(null, ['ack']),
  ack12: same(null, ['ack']),
  status: same(null, ['status']),
  stop: same(/no longer get Batsignal alert texts\. Text START to rejoin/, ['optOut']),
  start: same(/get Batsignal alert texts again\. Text STOP to opt out/, ['optIn']),
};
const newFlows = (prefix: string): Record<string, Expect> => ({
  raise: to('awaitingThreshold', new RegExp(`^${prefix}Have you detected`)),
  raiseSummary: to('awaitingThreshold', new RegExp(`^${prefix}Have you detected`)),
  update: to('awaitingConfirm', new RegExp(`^${prefix}Update to the 30 members who received #12: "Isolate SMB"\\. Reply CONFIRM 654321`)),
  allclear: to('awaitingConfirm', new RegExp(`^${prefix}All clear for #12 to 30 members\\. It closes the alert\\. Reply CONFIRM 654321`)),
});
const nudge = same(/Reply CONFIRM and the code we sent/);
const expired = (what: string) => to('idle', new RegExp(`Your ${what} expired after 15 minutes without a reply\\. Nothing was sent`));

const TABLE: Record<string, Record<string, Expect>> = {
  idle: {
    ...anyTime, ...newFlows(''),
    yes: same(/Nothing to answer/), no: same(/Nothing to answer/),
    confirmRight: same(/Nothing to confirm/), confirmWrong: same(/Nothing to confirm/), confirmBare: same(/Nothing to confirm/),
    bareCode: same(/Not understood/), cancel: same(/Nothing to cancel/), ok: same(null, ['ack']),
    help: same(/^Batsignal: RAISE to raise an alert\..*START to rejoin\.$/), text: same(/Not understood/),
  },
  threshold: {
    ...anyTime, ...newFlows('Earlier raise cancelled\\. '),
    yes: to('awaitingDescription', /^Describe the incident in one text/), no: to('idle', /Below the threshold, so no alert was sent.*https:\/\/forum\.example/),
    confirmRight: same(/reply YES or NO/), confirmWrong: same(/reply YES or NO/), confirmBare: same(/reply YES or NO/), bareCode: same(/reply YES or NO/),
    cancel: to('idle', /^Cancelled: the raise was not sent/), ok: same(/reply YES or NO/),
    help: same(/Your raise is waiting: reply YES or NO/), text: same(/reply YES or NO/),
  },
  thresholdWithSummary: {
    ...anyTime, ...newFlows('Earlier raise cancelled\\. '),
    yes: to('awaitingConfirm', /^Alert to 41 members: "Ransomware on PACS"\. Reply CONFIRM 654321 to send it, or CANCEL\.$/),
    no: to('idle', /Below the threshold/),
    confirmRight: same(/reply YES or NO/), confirmWrong: same(/reply YES or NO/), confirmBare: same(/reply YES or NO/), bareCode: same(/reply YES or NO/),
    cancel: to('idle', /^Cancelled/), ok: same(/reply YES or NO/), help: same(/reply YES or NO/), text: same(/reply YES or NO/),
  },
  description: {
    ...anyTime, ...newFlows('Earlier raise cancelled\\. '),
    yes: same(/describe the incident/), no: same(/describe the incident/),
    confirmRight: same(/describe the incident/), confirmWrong: same(/describe the incident/), confirmBare: same(/describe the incident/),
    bareCode: to('awaitingConfirm', /^Alert to 41 members: "123456"/),
    cancel: to('idle', /^Cancelled: the raise/), ok: same(/describe the incident/),
    help: same(/waiting for a description/),
    text: to('awaitingConfirm', /^Alert to 41 members: "Ransomware on PACS at Northtown"\. Reply CONFIRM 654321/),
  },
  confirmRaise: {
    ...anyTime, ...newFlows('Earlier raise cancelled\\. '),
    yes: nudge, no: nudge, confirmBare: nudge, ok: nudge, text: nudge,
    confirmRight: to('idle', null, ['createAlert']), bareCode: to('idle', null, ['createAlert']),
    confirmWrong: to('awaitingConfirm', /That code is not right.*2 tries left/),
    cancel: to('idle', /^Cancelled: the raise was not sent/),
    help: same(/Your raise is waiting: reply CONFIRM and the code/),
  },
  confirmUpdate: {
    ...anyTime, ...newFlows('Earlier update cancelled\\. '),
    yes: nudge, no: nudge, confirmBare: nudge, ok: nudge, text: nudge,
    confirmRight: to('idle', null, ['sendUpdate']), bareCode: to('idle', null, ['sendUpdate']),
    confirmWrong: to('awaitingConfirm', /2 tries left/),
    cancel: to('idle', /^Cancelled: the update was not sent\. Send UPDATE/),
    help: same(/Your update is waiting/),
  },
  confirmAllclear: {
    ...anyTime, ...newFlows('Earlier all clear cancelled\\. '),
    yes: nudge, no: nudge, confirmBare: nudge, ok: nudge, text: nudge,
    confirmRight: to('idle', null, ['allClear']), bareCode: to('idle', null, ['allClear']),
    confirmWrong: to('awaitingConfirm', /2 tries left/),
    cancel: to('idle', /^Cancelled: the all clear was not sent/),
    help: same(/Your all clear is waiting/),
  },
  expiredThreshold: {
    ...anyTime, ...newFlows(''),
    yes: expired('raise'), no: expired('raise'), confirmRight: expired('raise'), confirmWrong: expired('raise'),
    confirmBare: expired('raise'), bareCode: expired('raise'), cancel: expired('raise'), text: expired('raise'),
    ok: same(null, ['ack']), help: same(/START to rejoin\.$/),
  },
  expiredConfirmUpdate: {
    ...anyTime, ...newFlows(''),
    yes: expired('update'), no: expired('update'), confirmRight: expired('update'), confirmWrong: expired('update'),
    confirmBare: expired('update'), bareCode: expired('update'), cancel: expired('update'), text: expired('update'),
    ok: same(null, ['ack']), help: same(/START to rejoin\.$/),
  },
};

t.test('every state x every command', async (t) => {
  for (const [stateName, state] of Object.entries(STATES)) {
    for (const [cmdName, text] of Object.entries(COMMANDS)) {
      const e = TABLE[stateName]?.[cmdName];
      if (!e) {
        t.fail(`no expectation for ${stateName} x ${cmdName}`);
        continue;
      }
      const label = `${stateName} x ${cmdName}`;
      const r = step(state, parseCommand(text), ctx(), NOW);
      if (e.next === '=') t.same(r.next, state, `${label}: state unchanged`);
      else t.equal(r.next.name, e.next, `${label}: next ${e.next}`);
      if (e.reply === null) t.same(r.replies, [], `${label}: no reply of its own`);
      else {
        t.equal(r.replies.length, 1, `${label}: one reply`);
        t.match(r.replies[0], e.reply, `${label}: reply`);
      }
      t.same(r.effects.map((x) => x.kind), e.effects ?? [], `${label}: effects`);
    }
  }
});

t.test('effects carry what the executors need', async (t) => {
  const r1 = step(STATES.confirmRaise!, parseCommand(`confirm ${CODE}`), ctx(), NOW);
  t.same(r1.effects, [{ kind: 'createAlert', summary: 'Ransomware on PACS', exercise: false }]);
  const r2 = step(STATES.confirmUpdate!, parseCommand(`CONFIRM ${CODE}`), ctx(), NOW);
  t.same(r2.effects, [{ kind: 'sendUpdate', alert: 12, text: 'Patch out' }]);
  t.same(step(IDLE, parseCommand('ack #7'), ctx(), NOW).effects, [{ kind: 'ack', alert: 7 }]);
  t.same(step(IDLE, parseCommand('status'), ctx(), NOW).effects, [{ kind: 'status', alert: null }]);
});

t.test('a full raise, step by step, with the exercise flag carried through', async (t) => {
  let s: ConversationState = IDLE;
  let r = step(s, parseCommand('RAISE EXERCISE'), ctx(), NOW);
  t.match(r.replies[0], /^EXERCISE raise\. Have you/);
  s = r.next;
  r = step(s, parseCommand('yes'), ctx(), NOW);
  s = r.next;
  r = step(s, parseCommand('Test of the cascade'), ctx({ code: '777111' }), NOW);
  t.match(r.replies[0], /^EXERCISE alert to 41 members: "Test of the cascade"\. Reply CONFIRM 777111/);
  s = r.next;
  r = step(s, parseCommand('CONFIRM 777111'), ctx({ code: '000000' }), NOW);
  t.same(r.effects, [{ kind: 'createAlert', summary: 'Test of the cascade', exercise: true }]);
  t.same(r.next, IDLE);
});

t.test('three wrong codes end the confirmation; the count survives other messages', async (t) => {
  let s: ConversationState = STATES.confirmRaise!;
  let r = step(s, parseCommand('CONFIRM 111111'), ctx(), NOW);
  t.match(r.replies[0], /2 tries left/);
  s = r.next;
  r = step(s, parseCommand('ACK'), ctx(), NOW);
  s = r.next;
  r = step(s, parseCommand('222222'), ctx(), NOW);
  t.match(r.replies[0], /1 try left/);
  s = r.next;
  r = step(s, parseCommand(`CONFIRM 333333`), ctx(), NOW);
  t.match(r.replies[0], /^Three wrong codes: the raise is cancelled and nothing was sent/);
  t.same(r.next, IDLE);
  t.same(r.effects, []);
  // and the right code afterwards does nothing
  r = step(r.next, parseCommand(`CONFIRM ${CODE}`), ctx(), NOW);
  t.match(r.replies[0], /Nothing to confirm/);
});

t.test('expiry is measured from the last step and the clock is an argument', async (t) => {
  const r = step(IDLE, parseCommand('RAISE'), ctx(), NOW);
  const justBefore = new Date(NOW.getTime() + 15 * 60_000 - 1);
  const at = new Date(NOW.getTime() + 15 * 60_000);
  t.equal(step(r.next, parseCommand('YES'), ctx(), justBefore).next.name, 'awaitingDescription');
  t.match(step(r.next, parseCommand('YES'), ctx(), at).replies[0], /expired after 15 minutes/);
  const r2 = step(IDLE, parseCommand('RAISE'), ctx({ settings: { ...ctx().settings, raiseExpiryMinutes: 2 } }), NOW);
  t.match(step(r2.next, parseCommand('NO'), ctx(), new Date(NOW.getTime() + 2 * 60_000)).replies[0], /expired/);
});

t.test('raise limit: checked at RAISE and again at CONFIRM', async (t) => {
  const r = step(IDLE, parseCommand('RAISE'), ctx({ raisesLastHour: 3 }), NOW);
  t.same(r.next, IDLE);
  t.match(r.replies[0], /raised 3 alerts in the last hour, the most allowed\. Nothing was sent/);
  const c = step(STATES.confirmRaise!, parseCommand(`CONFIRM ${CODE}`), ctx({ raisesLastHour: 3 }), NOW);
  t.same(c.effects, []);
  t.same(c.next, IDLE);
  t.match(c.replies[0], /most allowed/);
  t.equal(step(IDLE, parseCommand('RAISE'), ctx({ raisesLastHour: 2 }), NOW).next.name, 'awaitingThreshold');
});

t.test('UPDATE and ALLCLEAR: who, which alert, and re-checked at CONFIRM', async (t) => {
  const other = { number: 12, raisedBy: 2, status: 'open' as const, reach: 30 };
  let r = step(IDLE, parseCommand('UPDATE 12 text'), ctx({ alert: other }), NOW);
  t.same(r.next, IDLE);
  t.match(r.replies[0], /^Only the member who raised #12 or an admin can send UPDATE/);
  r = step(IDLE, parseCommand('ALLCLEAR 12'), ctx({ alert: other }), NOW);
  t.match(r.replies[0], /can send ALLCLEAR/);
  r = step(IDLE, parseCommand('UPDATE 12 text'), ctx({ alert: other, member: { id: 9, role: 'admin' } }), NOW);
  t.equal(r.next.name, 'awaitingConfirm', 'an admin may follow up anyone\'s alert');
  r = step(IDLE, parseCommand('UPDATE 99 text'), ctx({ alert: null }), NOW);
  t.match(r.replies[0], /^There is no alert #99/);
  r = step(IDLE, parseCommand('UPDATE 12 text'), ctx({ alert: { ...other, raisedBy: 1, status: 'closed' } }), NOW);
  t.match(r.replies[0], /#12 is closed/);
  r = step(IDLE, parseCommand('ALLCLEAR 12'), ctx({ alert: { ...other, raisedBy: 1, status: 'closed' } }), NOW);
  t.match(r.replies[0], /#12 is closed/);
  r = step(IDLE, parseCommand('UPDATE'), ctx(), NOW);
  t.match(r.replies[0], /^To send a follow-up: UPDATE then the alert number/);
  r = step(IDLE, parseCommand('UPDATE 12'), ctx(), NOW);
  t.match(r.replies[0], /^To send a follow-up/);
  r = step(IDLE, parseCommand('ALL CLEAR'), ctx(), NOW);
  t.match(r.replies[0], /^To stand an alert down/);
  // closed between the prompt and the code
  r = step(STATES.confirmUpdate!, parseCommand(`CONFIRM ${CODE}`), ctx({ alert: { number: 12, raisedBy: 1, status: 'closed', reach: 30 } }), NOW);
  t.same(r.effects, []);
  t.match(r.replies[0], /closed/);
  t.same(r.next, IDLE);
  // a mid-raise member's usage error leaves the raise alone
  r = step(STATES.confirmRaise!, parseCommand('UPDATE'), ctx(), NOW);
  t.same(r.next, STATES.confirmRaise);
});

t.test('descriptions: too short and too long are asked again', async (t) => {
  const d = STATES.description!;
  let r = step(d, parseCommand('ab'), ctx(), NOW);
  t.equal(r.next.name, 'awaitingDescription');
  t.match(r.replies[0], /in a few words/);
  r = step(d, parseCommand('x'.repeat(601)), ctx(), NOW);
  t.equal(r.next.name, 'awaitingDescription');
  t.match(r.replies[0], /That is 601 characters; please send it again in under 600/);
  r = step(d, parseCommand('x'.repeat(600)), ctx(), NOW);
  t.equal(r.next.name, 'awaitingConfirm');
});

t.test('NO without a forum configured', async (t) => {
  const r = step(STATES.threshold!, parseCommand('no'), ctx({ settings: { ...ctx().settings, forumUrl: null } }), NOW);
  t.match(r.replies[0], /advice on the forum\. Send RAISE if it changes\.$/);
});

t.test('deterministic: same inputs, same outputs', async (t) => {
  for (const state of Object.values(STATES)) {
    for (const text of Object.values(COMMANDS)) {
      t.same(step(state, parseCommand(text), ctx(), NOW), step(state, parseCommand(text), ctx(), NOW));
    }
  }
});

t.test('contextNeeds: the ACK path asks for nothing; each lookup only when the step can use it', async (t) => {
  const none = { state: false, audienceSize: false, raisesLastHour: false, alert: null };
  t.same(contextNeeds(null, parseCommand('ACK 12'), NOW), none);
  t.same(contextNeeds(null, parseCommand('ACK'), NOW), none);
  t.same(contextNeeds(null, parseCommand('STATUS 3'), NOW), none);
  t.same(contextNeeds(null, parseCommand('STOP'), NOW), none);
  t.equal(contextNeeds(null, parseCommand('OK'), NOW).state, true, 'a loose OK may answer a raise');
  t.same(contextNeeds(IDLE, parseCommand('RAISE'), NOW), { ...none, state: true, raisesLastHour: true });
  t.same(contextNeeds(STATES.description!, parseCommand('some text'), NOW), { ...none, state: true, audienceSize: true });
  t.same(contextNeeds(IDLE, parseCommand('some text'), NOW), { ...none, state: true });
  t.same(contextNeeds(STATES.thresholdWithSummary!, parseCommand('YES'), NOW), { ...none, state: true, audienceSize: true });
  t.same(contextNeeds(STATES.threshold!, parseCommand('YES'), NOW), { ...none, state: true });
  t.same(contextNeeds(STATES.confirmRaise!, parseCommand(`CONFIRM ${CODE}`), NOW), { ...none, state: true, raisesLastHour: true });
  t.same(contextNeeds(STATES.confirmRaise!, parseCommand('CONFIRM 1'), NOW), { ...none, state: true }, 'a wrong code looks nothing up');
  t.same(contextNeeds(STATES.confirmUpdate!, parseCommand(`CONFIRM ${CODE}`), NOW), { ...none, state: true, alert: 12 });
  t.same(contextNeeds(STATES.confirmUpdate!, parseCommand(CODE), NOW), { ...none, state: true, alert: 12 }, 'the bare code too');
  t.same(contextNeeds(STATES.expiredConfirmUpdate!, parseCommand(`CONFIRM ${CODE}`), NOW), { ...none, state: true }, 'an expired step looks nothing up');
  t.same(contextNeeds(IDLE, parseCommand('ALLCLEAR 5'), NOW), { ...none, state: true, alert: 5 });
  // every state x command runs with exactly the context contextNeeds asks for
  for (const state of Object.values(STATES)) {
    for (const text of Object.values(COMMANDS)) {
      const cmd = parseCommand(text);
      const n = contextNeeds(state, cmd, NOW);
      const c = ctx();
      const minimal: StepContext = { member: c.member, settings: c.settings, code: c.code };
      if (n.audienceSize) minimal.audienceSize = c.audienceSize;
      if (n.raisesLastHour) minimal.raisesLastHour = c.raisesLastHour;
      if (n.alert !== null) minimal.alert = c.alert;
      t.doesNotThrow(() => step(n.state ? state : IDLE, cmd, minimal, NOW), `${state.name} / ${text}`);
    }
  }
});

t.test('the step table: every lookup a step declares is read, and none other; stateless steps ignore the state', async (t) => {
  const LOOKUPS = ['audienceSize', 'raisesLastHour', 'alert'] as const;
  for (const state of Object.values(STATES)) {
    for (const text of Object.values(COMMANDS)) {
      const cmd = parseCommand(text);
      const plan = stepPlan(state, cmd, NOW);
      const declared = LOOKUPS.filter((k) => (k === 'alert' ? plan.needs.alert !== null : plan.needs[k]));
      // The full context, watched: which lookups does the step itself read?
      const read = new Set<string>();
      const full = ctx();
      const watched = new Proxy(full, {
        get(target, key, receiver) {
          if (typeof key === 'string') read.add(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
      const result = plan.run(watched);
      t.same(LOOKUPS.filter((k) => read.has(k)), declared, `${state.name}/${state.name === 'awaitingConfirm' ? state.action.kind : ''} / ${text}: reads exactly ${declared.join(', ') || 'nothing'}`);
      if (plan.needs.alert !== null) t.equal(plan.needs.alert, full.alert!.number, `${text}: the alert looked up is the one the step names`);
      t.same(step(state, cmd, full, NOW), result, `${text}: step() runs the same plan`);
      if (!plan.needs.state) {
        t.same(result.next, state, `${text}: a stateless step leaves the state as it was`);
        t.same(step(IDLE, cmd, full, NOW).replies, result.replies, `${text}: ...and answers the same whatever the state`);
        t.same(step(IDLE, cmd, full, NOW).effects, result.effects);
      }
    }
  }
  t.throws(() => stepPlan(null, parseCommand('RAISE'), NOW).run(ctx()), /needs the conversation state/, 'a stateful plan without its state does not run');
});

t.test('asState: persisted states round-trip; anything else is idle', async (t) => {
  for (const s of Object.values(STATES)) t.same(asState(JSON.parse(JSON.stringify(s))), s);
  for (const junk of [null, 'x', 3, {}, { name: 'awaitingConfirm' }, { name: 'awaitingThreshold', expiresAt: 'never' }, { name: 'awaitingConfirm', action: { kind: 'raise' }, code: '1', wrongAttempts: 0, expiresAt: LIVE }]) {
    t.same(asState(junk), IDLE, JSON.stringify(junk));
  }
});

// GSM 03.38 basic set plus the extension table (which counts twice but still travels as GSM-7).
const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;
t.test('every reply is plain GSM-7', async (t) => {
  for (const state of Object.values(STATES)) {
    for (const text of Object.values(COMMANDS)) {
      for (const reply of step(state, parseCommand(text), ctx(), NOW).replies) t.match(reply, GSM7, reply);
    }
  }
});

t.test('executor replies are plain GSM-7 too', async (t) => {
  const { ackReply } = await import('../src/alerts/ack.js');
  const { statusText } = await import('../src/alerts/status.js');
  const { updateText, allclearText } = await import('../src/alerts/followup.js');
  const texts = [
    ackReply({ outcome: 'acknowledged', alert: 13, stillOpen: [12, 11, 10, 9] }),
    ackReply({ outcome: 'already', alert: 13, stillOpen: [12] }),
    ackReply({ outcome: 'nothingOpen' }),
    ackReply({ outcome: 'notReceived', alert: 3, ownAlert: true }),
    ackReply({ outcome: 'notReceived', alert: 3, ownAlert: false }),
    ackReply({ outcome: 'noSuchAlert', alert: 3 }),
    statusText({ number: 12, status: 'closed', exercise: true, createdAt: NOW, closedAt: NOW, recipients: 1800, queued: 0, submitted: 0, delivered: 1700, failed: 3, acknowledged: 1200, optedOut: 4 } as never, 'https://forum.example/t/1', new Date(NOW.getTime() + 3_600_000)),
    updateText({ number: 12, exercise: false, senderName: 'Jane Smith', senderOrg: 'Northtown Trust', text: 'Patch out.' }),
    allclearText({ number: 12, exercise: true, senderName: 'Jane Smith', senderOrg: '', text: '' }),
  ];
  for (const x of texts) t.match(x, GSM7, x);
  t.equal(texts[0], 'Acknowledged #13. Thank you. Reply AFFECTED 13, NOT AFFECTED 13 or NEED HELP 13 <text> to say how it is. Still open for you: #12, #11, #10 and more - reply ACK 12, ACK 11, ACK 10.');
});
