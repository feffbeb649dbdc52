// The dispatcher's results by channel (submitted, retried, failed permanently) and the outbox gauges
// with work waiting: depth and the oldest row's age, from one query, per channel.
import t from 'tap';
import { sql } from 'kysely';
import { createMetrics } from '../src/metrics/registry.js';
import { startDispatcher } from '../src/outbox/dispatcher.js';
import type { Sender, SendOutcome } from '../src/outbox/channel.js';
import type { OutboxRow } from '../src/db/schema.js';
import { freshDatabase } from './helpers/db.js';
import { FAST_BACKOFF, quietLog } from './helpers/delivery.js';
import { sampleValue } from './helpers/prometheus.js';

// Rows queued in the past (the dispatcher claims by PostgreSQL's now()), a scrape clock set after them.
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);

t.test('email sends: submitted, retried then submitted, failed for good; gauges before and after', async (t) => {
  const { db } = await freshDatabase(t);
  // The clock the scrape uses: 90 s after the oldest email row and 30 s after the sms one was queued.
  const metrics = createMetrics({ db, clock: () => new Date(T0.getTime() + 90_000) });
  const row = (recipient: string, body: string, channel: 'email' | 'sms', createdAt: Date) =>
    ({ channel, kind: 'alert' as const, recipient, body, alert_number: null, member_id: null, payload: null, created_at: createdAt, next_attempt_at: createdAt });
  await db.insertInto('outbox').values([
    row('ok@example.nhs.uk', 'ok', 'email', T0),
    row('busy@example.nhs.uk', 'busy', 'email', new Date(T0.getTime() + 10_000)),
    row('gone@example.nhs.uk', 'gone', 'email', new Date(T0.getTime() + 20_000)),
    row('+447700900001', 'text', 'sms', new Date(T0.getTime() + 60_000)),
  ]).execute();

  const before = await metrics.render();
  t.equal(sampleValue(before, 'batsignal_outbox_depth', { channel: 'email' }), 3);
  t.equal(sampleValue(before, 'batsignal_outbox_depth', { channel: 'sms' }), 1);
  t.equal(sampleValue(before, 'batsignal_outbox_depth', { channel: 'forum' }), 0);
  t.equal(sampleValue(before, 'batsignal_outbox_oldest_pending_age_seconds', { channel: 'email' }), 90);
  t.equal(sampleValue(before, 'batsignal_outbox_oldest_pending_age_seconds', { channel: 'sms' }), 30);
  t.equal(sampleValue(before, 'batsignal_outbox_oldest_pending_age_seconds', { channel: 'forum' }), 0);

  // A mail server: accepts one, is busy twice for another (451), refuses the third for good (550).
  let busy = 0;
  const sender: Sender = {
    channel: 'email',
    async send(r: OutboxRow): Promise<SendOutcome> {
      if (r.body === 'busy' && busy++ < 2) return { ok: false, retry: true, error: '451 try again later' };
      if (r.body === 'gone') return { ok: false, retry: false, error: '550 mailbox unavailable' };
      return { ok: true, providerId: `mail-${r.id}` };
    },
  };
  const d = startDispatcher(db, sender, quietLog, { backoff: FAST_BACKOFF, pollMs: 20, metrics });
  t.teardown(() => d.stop());
  for (let i = 0; ; i++) {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE channel = 'email' AND state IN ('pending', 'sending')`.execute(db);
    if (r.rows[0]!.n === 0) break;
    if (i > 1000) throw new Error('email rows never settled');
    await new Promise((r) => setTimeout(r, 20));
  }
  await d.stop();

  const after = await metrics.render();
  const sends = (result: string) => sampleValue(after, 'batsignal_outbound_sends_total', { channel: 'email', result });
  t.equal(sends('submitted'), 2);
  t.equal(sends('retried'), 2);
  t.equal(sends('failed_permanent'), 1);
  t.equal(sampleValue(after, 'batsignal_outbound_sends_total', { channel: 'sms', result: 'submitted' }), 0, 'no sms loop ran');
  t.equal(sampleValue(after, 'batsignal_outbox_depth', { channel: 'email' }), 0);
  t.equal(sampleValue(after, 'batsignal_outbox_oldest_pending_age_seconds', { channel: 'email' }), 0, 'nothing waiting: 0');
  t.equal(sampleValue(after, 'batsignal_outbox_oldest_pending_age_seconds', { channel: 'sms' }), 30, 'the sms row still waits');
});
