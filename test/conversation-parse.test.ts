import t from 'tap';
import { parseCommand, plainText, type Command } from '../src/conversation/parse.js';

const cases: [string, Command][] = [
  // ACK: case, spaces, punctuation, '#', glued number, trailing words after ACK <n>
  ['ack', { kind: 'ack', alert: null, loose: false }],
  ['ACK', { kind: 'ack', alert: null, loose: false }],
  ['Ack 12.', { kind: 'ack', alert: 12, loose: false }],
  ['ACK #12', { kind: 'ack', alert: 12, loose: false }],
  ['ACK12', { kind: 'ack', alert: 12, loose: false }],
  ['  ack   12  ', { kind: 'ack', alert: 12, loose: false }],
  ['ACK no. 12', { kind: 'ack', alert: 12, loose: false }],
  ['ack 12 thanks, checking our estate', { kind: 'ack', alert: 12, loose: false, text: 'THANKS, CHECKING OUR ESTATE' }],
  ['ACK 14 A81001', { kind: 'ack', alert: 14, loose: false, text: 'A81001' }],
  ['Resolved 14.', { kind: 'resolved', alert: 14, text: '', raw: 'Resolved 14.' }],
  ['RESOLVED #14 a81001', { kind: 'resolved', alert: 14, text: 'a81001', raw: 'RESOLVED #14 a81001' }],
  ['resolve', { kind: 'resolved', alert: null, text: '', raw: 'resolve' }],
  ['Acknowledged', { kind: 'ack', alert: null, loose: false }],
  ['acknowledge 7!', { kind: 'ack', alert: 7, loose: false }],
  ['"ACK 3"', { kind: 'ack', alert: 3, loose: false }],
  ['ACK 99999999999', { kind: 'ack', alert: 99999999999, loose: false }],
  // OK / OKAY: an ACK, but only alone or with a number
  ['ok', { kind: 'ack', alert: null, loose: true }],
  ['OK 12', { kind: 'ack', alert: 12, loose: true }],
  ['Okay #4.', { kind: 'ack', alert: 4, loose: true }],
  ['ok thanks', { kind: 'text', text: 'ok thanks' }],
  ['acks', { kind: 'text', text: 'acks' }],
  // STATUS
  ['status', { kind: 'status', alert: null }],
  ['Status 12?', { kind: 'status', alert: 12 }],
  ['STATUS #3', { kind: 'status', alert: 3 }],
  ['status of the network is unknown', { kind: 'text', text: 'status of the network is unknown' }],
  // CONFIRM
  [' CONFIRM 4821 ', { kind: 'confirm', code: '4821' }],
  ['confirm 482 113', { kind: 'confirm', code: '482113' }],
  ['Confirmed: 482113.', { kind: 'confirm', code: '482113' }],
  ['CONFIRM', { kind: 'confirm', code: null }],
  // one-word answers
  ['yes', { kind: 'yes' }],
  ['Y', { kind: 'yes' }],
  ['Yes!', { kind: 'yes' }],
  ['no.', { kind: 'no' }],
  ['N', { kind: 'no' }],
  ['cancel', { kind: 'cancel' }],
  ['Help', { kind: 'help' }],
  ['HELP?', { kind: 'help' }],
  // opting out: the exact words alone, nothing else
  ['STOP', { kind: 'stop' }],
  ['stop.', { kind: 'stop' }],
  ['StopAll', { kind: 'stop' }],
  ['UNSUBSCRIBE', { kind: 'stop' }],
  ['stop sending me these', { kind: 'text', text: 'stop sending me these' }],
  ['Stop clicking links in the email', { kind: 'text', text: 'Stop clicking links in the email' }],
  ['STOP ALL', { kind: 'text', text: 'STOP ALL' }],
  ['quit', { kind: 'text', text: 'quit' }],
  ['end', { kind: 'text', text: 'end' }],
  ['start', { kind: 'start' }],
  ['UNSTOP', { kind: 'start' }],
  // RAISE
  ['raise', { kind: 'raise', summary: null, exercise: false }],
  ['RAISE.', { kind: 'raise', summary: null, exercise: false }],
  ['RAISE!', { kind: 'raise', summary: null, exercise: false }],
  ['Raise Ransomware on PACS at Northtown', { kind: 'raise', summary: 'Ransomware on PACS at Northtown', exercise: false }],
  ['RAISE: phishing wave, subject "Invoice"', { kind: 'raise', summary: 'phishing wave, subject "Invoice"', exercise: false }],
  ['RAISE EXERCISE test the cascade', { kind: 'raise', summary: 'test the cascade', exercise: true }],
  ['raise exercise', { kind: 'raise', summary: null, exercise: true }],
  ['RAISE exercises are planned', { kind: 'raise', summary: 'exercises are planned', exercise: false }],
  ['Raised concerns with IT', { kind: 'text', text: 'Raised concerns with IT' }],
  // UPDATE / ALLCLEAR
  ['UPDATE 12 Patch released, apply KB123', { kind: 'update', alert: 12, text: 'Patch released, apply KB123' }],
  ['update #12: isolate SMB', { kind: 'update', alert: 12, text: 'isolate SMB' }],
  ['UPDATE', { kind: 'update', alert: null, text: '' }],
  ['update 12', { kind: 'update', alert: 12, text: '' }],
  ['ALLCLEAR 12', { kind: 'allclear', alert: 12, text: '' }],
  ['All clear 12 - contained at source', { kind: 'allclear', alert: 12, text: 'contained at source' }],
  ['all-clear #5.', { kind: 'allclear', alert: 5, text: '' }],
  ['ALL CLEAR', { kind: 'allclear', alert: null, text: '' }],
  // free text, tidied
  ['We are seeing it too', { kind: 'text', text: 'We are seeing it too' }],
  ['constructor', { kind: 'text', text: 'constructor' }],
  ['', { kind: 'text', text: '' }],
  ['\u201CSmart\u201D quotes \u2013 and\u2026', { kind: 'text', text: '"Smart" quotes - and...' }],
  ['line one\nline two\r\n\u0007bell', { kind: 'text', text: 'line one line two bell' }],
];

t.test('variants', async (t) => {
  for (const [input, expected] of cases) t.same(parseCommand(input), expected, JSON.stringify(input));
});

t.test('plainText keeps accented letters and symbols that are not layout', async (t) => {
  t.equal(plainText('  Caf\u00e9  \u00a3100 \t '), 'Caf\u00e9 \u00a3100');
  t.equal(plainText('x'.repeat(2000)).length, 2000, 'long text is not cut here');
});

t.test('situation replies: with or without the number, case and punctuation tolerant', async (t) => {
  const s = (situation: 'affected' | 'not_affected' | 'need_help', alert: number | null, text: string, raw: string): Command => ({ kind: 'situation', situation, alert, text, raw });
  const table: [string, Command][] = [
    ['AFFECTED', s('affected', null, '', 'AFFECTED')],
    ['affected 12.', s('affected', 12, '', 'affected 12.')],
    ['Affected #12 - 3 PCs', s('affected', 12, '3 PCs', 'Affected #12 - 3 PCs')],
    ['NOT AFFECTED 12', s('not_affected', 12, '', 'NOT AFFECTED 12')],
    ['not-affected', s('not_affected', null, '', 'not-affected')],
    ['Unaffected #4!', s('not_affected', 4, '', 'Unaffected #4!')],
    ['need help', s('need_help', null, '', 'need help')],
    ['NEED HELP 12 backups encrypted', s('need_help', 12, 'backups encrypted', 'NEED HELP 12 backups encrypted')],
    ['Needhelp: no IT staff on site', s('need_help', null, 'no IT staff on site', 'Needhelp: no IT staff on site')],
  ];
  for (const [text, expected] of table) t.same(parseCommand(text), expected, text);
  // Not the command's shape: free text.
  for (const text of ['Affectedness', 'we are not affected', 'HELP']) t.not(parseCommand(text).kind, 'situation', text);
});
