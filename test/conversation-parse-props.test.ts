// Property tests over the conversation parser: no text a phone (or an attacker) can send makes it
// throw, stall or change its mind. The parser used to trim edges with /[\s\p{P}\p{S}]+$/, which V8
// retries from every position: a run of 40,000 '!' took seconds and 100 such runs here would time
// this file out. The figure for a 40,000-character text is in `npm run bench` (bench/parse.bench.ts).
import t from 'tap';
import fc from 'fast-check';
import { parseCommand, plainText, trimEdges, type CommandKind } from '../src/conversation/parse.js';

const KINDS: ReadonlySet<CommandKind> = new Set(['raise', 'yes', 'no', 'confirm', 'cancel', 'ack', 'status', 'help', 'stop', 'start', 'join', 'update', 'allclear', 'situation', 'text']);

// Any UTF-16 code unit, lone surrogates included (Vonage sends them; cleanText replaces them later).
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: codeUnit, maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 }));

// What an attacker sends: keywords, digits and long runs of edge characters, in any order.
const pieces = fc.constantFrom('!', ' ', '.', '#', '\u{1F600}', '\u2026', '-', ':', 'ACK', 'ack ', 'CONFIRM', 'RAISE', 'UPDATE 1', 'ALL CLEAR', 'NOT AFFECTED', 'NEED HELP', 'not - ', 'OK', '12', 'a', '\u00e9', 'NO.', '\n', '\uD83D');
const run = fc.tuple(pieces, fc.integer({ min: 1, max: 4000 })).map(([p, n]) => p.repeat(n));
const adversarial = fc.array(fc.oneof(pieces, run), { minLength: 1, maxLength: 12 }).map((xs) => xs.join('').slice(0, 40_000));

function wellFormed(input: string): void {
  const cmd = parseCommand(input);
  if (!KINDS.has(cmd.kind)) throw new Error(`unknown kind ${cmd.kind}`);
  if ('alert' in cmd && cmd.alert !== null && !(Number.isSafeInteger(cmd.alert) && cmd.alert >= 0)) throw new Error(`alert is not a whole number: ${cmd.alert}`);
}

t.test('arbitrary strings parse to a known command without throwing', async (t) => {
  fc.assert(fc.property(anyText, (s) => wellFormed(s)), { numRuns: 2000 });
  t.pass('2,000 arbitrary strings');
});

t.test('adversarial texts up to 40,000 characters (runs of punctuation, emoji, keywords) parse', async (t) => {
  fc.assert(fc.property(adversarial, (s) => wellFormed(s)), { numRuns: 150 });
  t.pass('150 adversarial texts');
});

t.test('the parts of a multipart text, joined, parse like any text', async (t) => {
  fc.assert(fc.property(fc.array(fc.oneof(anyText, run), { minLength: 2, maxLength: 10 }), (parts) => wellFormed(parts.join(''))), { numRuns: 200 });
  t.pass('200 joined texts');
});

t.test('a number longer than any alert number names no alert, and stays a whole number', async (t) => {
  t.match(parseCommand(`NEED HELP ${'12'.repeat(300)} servers down`), { kind: 'situation', alert: 2147483648 });
  t.match(parseCommand(`ACK ${'9'.repeat(16)}`), { kind: 'ack', alert: 2147483648 });
  t.match(parseCommand(`ACK ${'9'.repeat(15)}`), { kind: 'ack', alert: 999999999999999 }, 'up to 15 digits exactly, so the reply can quote it');
  t.match(parseCommand('ACK 2147483647'), { kind: 'ack', alert: 2147483647 }, 'the largest alert number is itself');
  t.match(parseCommand('ACK 000000000012'), { kind: 'ack', alert: 12 }, 'leading zeros are not length');
});

t.test('trimEdges removes exactly what the old edge regex removed', async (t) => {
  const oldTrim = (s: string) => s.replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '');
  fc.assert(fc.property(fc.oneof(anyText, fc.array(pieces).map((xs) => xs.join(''))), (s) => trimEdges(s) === oldTrim(s)), { numRuns: 3000 });
  t.equal(trimEdges('!!\u{1F600} ack 12 \u{1F600}!!'), 'ack 12');
  t.equal(trimEdges('\u{1F600}'), '');
  t.equal(trimEdges('x\uD83D'), 'x\uD83D', 'a lone surrogate is neither punctuation nor a symbol');
});

t.test('the meaning does not depend on edge punctuation or case', async (t) => {
  const command = fc.constantFrom('ACK 12', 'ack', 'CONFIRM 123456', 'STOP', 'start', 'help', 'STATUS 4', 'yes', 'No', 'cancel', 'ALLCLEAR 3', 'AFFECTED 12', 'NOT AFFECTED 3', 'need help 4');
  const edge = fc.string({ unit: fc.constantFrom(' ', '!', '.', '"', '\u{1F600}', '?', '*'), maxLength: 30 });
  fc.assert(
    fc.property(command, edge, edge, fc.boolean(), (c, before, after, lower) => {
      const said = `${before}${lower ? c.toLowerCase() : c.toUpperCase()}${after}`;
      // `raw` keeps a situation's text as written (it may be a description): not part of the meaning.
      const meaning = (s: string) => JSON.stringify({ ...parseCommand(s), raw: undefined });
      return meaning(said) === meaning(c);
    }),
    { numRuns: 1000 },
  );
  t.pass('1,000 decorated commands');
});

t.test('plainText is idempotent', async (t) => {
  fc.assert(fc.property(anyText, (s) => plainText(plainText(s)) === plainText(s)), { numRuns: 2000 });
  t.pass('2,000 strings');
});
