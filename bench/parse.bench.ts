// The conversation parser on adversarial texts (issue #12): time grows in proportion to the length.
// Three shapes that made the old edge-trimming regex quadratic (runs of punctuation V8 retried from
// every position), at 10,000, 20,000 and 40,000 characters. Linear: doubling the length doubles
// the time (40k/10k about x4); quadratic would be x16. No database, no server.
import { parseCommand } from '../src/conversation/parse.js';
import { fmt } from './helpers.js';

const SIZES = [10_000, 20_000, 40_000];
const REPEAT = 20;

const shapes: [string, (n: number) => string][] = [
  ["'!' then a letter", (n) => '!'.repeat(n - 1) + 'a'],
  ["'ACK 1' then ' !'", (n) => ('ACK 1' + ' !'.repeat(n)).slice(0, n)],
  ['emoji runs around RAISE', (n) => ('\u{1F600}'.repeat(n / 4) + 'RAISE ' + '\u{1F600}!'.repeat(n)).slice(0, n)],
  ['spaces and dots, then a digit', (n) => ' .'.repeat(n / 2 - 1) + ' 1'],
];

for (const [label, make] of shapes) {
  const ms = SIZES.map((n) => {
    const s = make(n);
    for (let i = 0; i < 3; i++) parseCommand(s); // warm
    const t0 = performance.now();
    for (let i = 0; i < REPEAT; i++) parseCommand(s);
    return (performance.now() - t0) / REPEAT;
  });
  const per = SIZES.map((n, i) => `${fmt(n / 1000)}k ${fmt(ms[i]!, 3)} ms`).join(', ');
  console.log(`parse ${label}: ${per}`);
  console.log(`parse ${label} 40k/10k time ratio: ${fmt(ms[2]! / ms[0]!, 1)} x (length x4; linear ~4, quadratic ~16)`);
}
