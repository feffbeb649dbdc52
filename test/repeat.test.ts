// repeat (src/clock.ts), the loop of every background sweeper: one run now, the next a pause after
// the last ends, never two at once, and stop() waits for the run in progress.
import t from 'tap';
import { repeat } from '../src/clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('runs at once, then again after each run ends; never two at once', async (t) => {
  let runs = 0;
  let inFlight = 0;
  let most = 0;
  const loop = repeat(async () => {
    runs++;
    inFlight++;
    most = Math.max(most, inFlight);
    await sleep(30); // a run longer than the pause
    inFlight--;
  }, 5);
  t.equal(runs, 1, 'the first run starts synchronously');
  const until = Date.now() + 10_000;
  while (runs < 4 && Date.now() < until) await sleep(5);
  await loop.stop();
  t.ok(runs >= 4, `ran again and again (${runs} runs)`);
  t.equal(most, 1, 'never two at once: each run waits for the last to end');
});

t.test('stop() waits for the run in progress and starts no other', async (t) => {
  let ended = 0;
  let started = 0;
  const loop = repeat(async () => {
    started++;
    await sleep(50);
    ended++;
  }, 1);
  await sleep(10);
  await loop.stop();
  t.equal(ended, started, 'the run in progress has ended when stop() resolves');
  const after = started;
  await sleep(60);
  t.equal(started, after, 'nothing runs after stop()');
});
