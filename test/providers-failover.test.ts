// Failover between two providers, each the REAL SDK against its stand-in, through the real
// dispatcher and PostgreSQL: every member exactly once whatever the primary does.
import t, { type Test } from 'tap';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { FAST_BACKOFF, outboxStates, quietLog, settled } from './helpers/delivery.js';
import { startTwilioStandin } from './helpers/twilio-standin.js';
import { startVonageMessagesStandin } from './helpers/vonage-messages-standin.js';
import { failoverOf, twilioProvider, TWILIO_NUMBER, vonageProvider } from './helpers/providers.js';
import { startOutbox } from '../src/outbox/run.js';
import { createMetrics } from '../src/metrics/registry.js';
import type { Database } from '../src/db/connect.js';

async function setup(t: Tap, n: number) {
  const { db } = await freshDatabase(t);
  const vm = await startVonageMessagesStandin({ number: '447700900999' });
  const tw = await startTwilioStandin({ number: TWILIO_NUMBER });
  t.teardown(() => vm.close());
  t.teardown(() => tw.close());
  await addMembers(db, memberSpecs(n));
  return { db, vm, tw };
}
type Tap = Test;

function exactlyOnce(t: Tap, n: number, both: { acceptedTo(to: string): number }[]) {
  const wrong = memberSpecs(n).filter((m) => both.reduce((sum, s) => sum + s.acceptedTo(m.phone), 0) !== 1);
  t.same(wrong.map((m) => m.phone), [], `each of ${n} members texted exactly once across both providers`);
}

const run = (db: Database, sender: Awaited<ReturnType<typeof failoverOf>>) => {
  const outbox = startOutbox(db, quietLog, [{ sender, backoff: FAST_BACKOFF, pollMs: 20, receiptGraceMs: 300, leaseMs: 30_000, concurrency: 16 }]);
  return { stop: async () => (await outbox.stop(), sender.stop()) };
};

t.test('primary down for the whole broadcast: every member once, at the secondary\'s rate', async (t) => {
  const n = 60;
  const { db, vm, tw } = await setup(t, n);
  vm.faults.down = true;
  const metrics = createMetrics({ db, clock: () => new Date() });
  const sender = await failoverOf(db, [vonageProvider(vm, 200), twilioProvider(tw, 40)], { metrics });
  await raiseAlert(db, new Date());
  const w = run(db, sender);
  t.teardown(w.stop);
  await settled(db);

  t.same(await outboxStates(db), { sent: n });
  t.equal(vm.accepted().length, 0, 'the primary took nothing');
  t.equal(tw.accepted().length, n, 'the secondary took every text');
  exactlyOnce(t, n, [vm, tw]);
  t.equal(tw.duplicates(), 0);
  const downs = await db.selectFrom('sms_providers').select(['name', 'state']).orderBy('name').execute();
  t.same(downs, [{ name: 'twilio', state: 'up' }, { name: 'vonage', state: 'down' }], 'the primary was taken out');
  t.ok(vm.requests.length < 30, `the primary was tried only until it was taken out, then probed: ${vm.requests.length} requests for ${n} texts`);
  // At 40/s, 60 texts cannot take less than 59/40 s whatever the machine's load (a lower bound only).
  const at = tw.accepted().map((r) => r.at).sort((a, b) => a - b);
  t.ok(at.at(-1)! - at[0]! >= (59 / 40) * 1000 * 0.9, `paced at the secondary's 40/s: ${at.at(-1)! - at[0]!} ms for 60`);
  t.equal(sender.pace().key, 'sms:twilio', 'claims follow the secondary\'s schedule');
  // Per-provider metrics, as /metrics shows them.
  const text = await metrics.render();
  const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  t.equal(value('batsignal_sms_provider_up{provider="vonage"}'), 0, 'the primary shows as taken out');
  t.equal(value('batsignal_sms_provider_up{provider="twilio"}'), 1, 'the secondary shows as up');
  t.equal(value('batsignal_sms_provider_sends_total{provider="twilio",result="submitted"}'), n, 'every text counted against the secondary');
  t.equal(value('batsignal_sms_provider_sends_total{provider="vonage",result="failed_over"}'), vm.requests.length - (value('batsignal_sms_provider_sends_total{provider="vonage",result="retried"}') || 0), 'the primary\'s refusals counted as failed over (or retried)');
});

t.test('primary flapping (half its answers 500 or down in bursts): nobody twice, nobody missed', async (t) => {
  const n = 150;
  const { db, vm, tw } = await setup(t, n);
  vm.faults.http500Fraction = 0.5;
  const sender = await failoverOf(db, [vonageProvider(vm, 0), twilioProvider(tw, 0)], { probeAfterMs: 50 });
  let flip = setInterval(() => (vm.faults.down = !vm.faults.down), 37);
  t.teardown(() => clearInterval(flip));
  await raiseAlert(db, new Date());
  const w = run(db, sender);
  t.teardown(w.stop);
  await settled(db);
  clearInterval(flip);
  flip = undefined as never;

  t.same(await outboxStates(db), { sent: n });
  exactlyOnce(t, n, [vm, tw]);
  t.ok(vm.accepted().length > 0 && tw.accepted().length > 0, `both carried texts (vonage ${vm.accepted().length}, twilio ${tw.accepted().length})`);
  t.equal(vm.duplicates() + tw.duplicates(), 0, 'no provider got a text twice');
});

t.test('fail-back: a primary that answers again is probed and taken back', async (t) => {
  const n = 20;
  const { db, vm, tw } = await setup(t, n * 2);
  vm.faults.down = true;
  const sender = await failoverOf(db, [vonageProvider(vm, 0), twilioProvider(tw, 0)], { probeAfterMs: 100 });
  await raiseAlert(db, new Date());
  const w = run(db, sender);
  t.teardown(w.stop);
  await settled(db);
  t.equal(tw.accepted().length, n * 2, 'first broadcast: all through the secondary');
  t.equal((await sender.states())[0]!.state, 'down');

  vm.faults.down = false;
  await new Promise((r) => setTimeout(r, 150)); // past probe_at
  // The second broadcast: one text probes the primary (the rest, sent meanwhile, take the secondary).
  await raiseAlert(db, new Date());
  await settled(db);
  const states = await sender.states();
  t.equal(states[0]!.state, 'up', 'the primary is back in');
  t.ok(states[0]!.preferred, 'and preferred again');
  exactlyOnce(t, n * 2, [{ acceptedTo: (p) => vm.acceptedTo(p) + tw.acceptedTo(p) - 1 }]);
  const before = { vm: vm.accepted().length, tw: tw.accepted().length };
  t.ok(before.vm >= 1, 'the probe went to the primary');
  await raiseAlert(db, new Date());
  await settled(db);
  t.equal(vm.accepted().length - before.vm, n * 2, 'the third broadcast went wholly through the primary');
  t.equal(tw.accepted().length - before.tw, 0, 'and none through the secondary');
});

t.test('manual switch-off: texts go to the next provider; switched back on, they return', async (t) => {
  const n = 10;
  const { db, vm, tw } = await setup(t, n);
  const sender = await failoverOf(db, [vonageProvider(vm, 0), twilioProvider(tw, 0)]);
  t.ok(await sender.setEnabled('vonage', false, 'credit running out'));
  t.notOk(await sender.setEnabled('nexmo', false, null), 'an unknown provider is refused');
  await raiseAlert(db, new Date());
  const w = run(db, sender);
  t.teardown(w.stop);
  await settled(db);
  t.equal(vm.requests.length, 0, 'nothing asked of the switched-off provider');
  t.equal(tw.accepted().length, n);
  const v = (await sender.states())[0]!;
  t.match(v, { name: 'vonage', enabled: false, disabledReason: 'credit running out', preferred: false });

  await sender.setEnabled('vonage', true, null);
  await raiseAlert(db, new Date());
  await settled(db);
  t.equal(vm.accepted().length, n, 'switched on: the next broadcast goes through it');
  await sender.setEnabled('vonage', false, null);
  await sender.setEnabled('twilio', false, null);
  await sql`INSERT INTO outbox (channel, kind, recipient, body) VALUES ('sms', 'reply', '+447700900001', 'x')`.execute(db);
  const reply = () => db.selectFrom('outbox').select(['state', 'last_error']).where('kind', '=', 'reply').executeTakeFirstOrThrow();
  for (let i = 0; i < 200 && (await reply()).last_error === null; i++) await new Promise((r) => setTimeout(r, 25));
  const held = await reply();
  t.match(held, { state: 'pending', last_error: /every SMS provider is switched off/ }, 'all switched off: kept, not failed');
});
