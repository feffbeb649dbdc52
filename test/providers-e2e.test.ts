// Both new providers end to end, through a listening app, the real dispatcher with failover and the
// real SDKs against their stand-ins: texts sent through each provider come back as signed status
// callbacks that mark the outbox row; a member who starts a raise on the Vonage number and answers
// on the Twilio number carries on in the same conversation, and each reply goes out from the number
// the member last used.
import t, { type Test } from 'tap';
import net from 'node:net';
import { sql } from 'kysely';
import { freshDatabase } from './helpers/db.js';
import { addMembers, ADMIN_TOKEN, bearer, memberSpecs, raiseAlert, testConfig } from './helpers/alert-fixtures.js';
import { FAST_BACKOFF, quietLog, settled } from './helpers/delivery.js';
import { startTwilioStandin } from './helpers/twilio-standin.js';
import { startVonageMessagesStandin } from './helpers/vonage-messages-standin.js';
import { failoverOf, twilioProvider, TWILIO_NUMBER, vonageProvider } from './helpers/providers.js';
import { buildApp } from '../src/app.js';
import { startOutbox } from '../src/outbox/run.js';
import { createOutboxSignal } from '../src/outbox/signal.js';
import { setEnabled } from '../src/providers/health.js';
import type { Database } from '../src/db/connect.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

type Tap = Test;

async function setup(t: Tap) {
  const { db } = await freshDatabase(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const vm = await startVonageMessagesStandin({ number: '447700900999', statusUrl: `${base}/webhooks/vonage/messages/status`, receipts: { delayMs: 20 } });
  const tw = await startTwilioStandin({ number: TWILIO_NUMBER, receipts: { delayMs: 20 } });
  t.teardown(() => vm.close());
  t.teardown(() => tw.close());
  const config = testConfig({
    BATSIGNAL_NUMBER: vm.number, VONAGE_APPLICATION_ID: vm.applicationId, VONAGE_PRIVATE_KEY: vm.privateKey, VONAGE_MESSAGES_HOST: vm.url,
    VONAGE_SIGNATURE_SECRET: vm.signatureSecret, TWILIO_ACCOUNT_SID: tw.accountSid, TWILIO_AUTH_TOKEN: tw.authToken, TWILIO_NUMBER: tw.number,
    TWILIO_API_BASE: tw.url, PUBLIC_URL: base, SMS_PROVIDERS: 'vonage,twilio',
  });
  const outboxSignal = createOutboxSignal(db);
  const app = await buildApp({ config, db, clock: () => new Date(), adminTokens: [ADMIN_TOKEN], outboxSignal });
  await app.listen({ host: '127.0.0.1', port });
  t.teardown(() => app.close());
  const sender = await failoverOf(db, [vonageProvider(vm, 100), twilioProvider(tw, 100, base)]);
  const outbox = startOutbox(db, quietLog, [{ sender, backoff: FAST_BACKOFF, pollMs: 20, receiptGraceMs: 2000 }], outboxSignal);
  t.teardown(async () => {
    await outbox.stop();
    sender.stop();
  });
  return { db, vm, tw, base, app };
}

/** Waits until every text of the alert has its final 'delivered' status (an interim 'buffered' comes first). */
async function receipted(db: Database, n: number, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await sql<{ done: number; all: number }>`
      SELECT (count(*) FILTER (WHERE receipt_status = 'delivered'))::int AS done, count(*)::int AS all FROM outbox WHERE alert_number = ${n} AND channel = 'sms'`.execute(db);
    const { done, all } = r.rows[0]!;
    if (all > 0 && done === all) return;
    if (Date.now() > until) throw new Error(`receipts for alert ${n}: ${done} of ${all}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('status callbacks from each provider mark the rows they sent', async (t) => {
  const { db, vm, tw, app } = await setup(t);
  const members = 8;
  await addMembers(db, memberSpecs(members));

  // First through the Vonage Messages API (preferred), then with it switched off, through Twilio.
  const first = await raiseAlert(db, new Date());
  await settled(db);
  await receipted(db, first);
  await setEnabled(db, 'vonage', false, 'test', new Date());
  await new Promise((r) => setTimeout(r, 300)); // failover reads the shared state every 50 ms
  const second = await raiseAlert(db, new Date());
  await settled(db);
  await receipted(db, second);

  const rows = await sql<{ alert_number: number; provider_id: string; receipt_status: string }>`
    SELECT alert_number, provider_id, receipt_status FROM outbox WHERE alert_number IN (${first}, ${second}) AND channel = 'sms' ORDER BY id`.execute(db);
  const vonageIds = new Set(vm.accepted().map((r) => r.id));
  const twilioIds = new Set(tw.accepted().map((r) => r.id));
  const of = (n: number) => rows.rows.filter((r) => r.alert_number === n);
  t.equal(of(first).length, members);
  t.equal(of(second).length, members);
  t.ok(of(first).every((r) => vonageIds.has(r.provider_id)), 'the first alert went through the Messages API (its message_uuid recorded)');
  t.ok(of(second).every((r) => twilioIds.has(r.provider_id)), 'the second went through Twilio (its SM sid recorded)');
  // receipted() waited for 'delivered' on every row; each provider also posted an interim status
  // first (Messages 'submitted', Twilio 'sent'), which 'delivered' replaced.
  t.ok(vm.callbacksSent.some((c) => c.status !== 'delivered') && tw.callbacksSent.some((c) => c.status !== 'delivered'), 'interim statuses were posted before delivered by both providers');
  t.ok(vm.callbacksSent.length >= members && vm.callbacksSent.every((c) => c.httpStatus === 200), 'the Messages status webhooks were accepted (JWT verified)');
  t.ok(tw.callbacksSent.length >= members && tw.callbacksSent.every((c) => c.httpStatus === 200), 'the Twilio status callbacks were accepted (signature over PUBLIC_URL verified)');
  for (const n of [first, second]) {
    const r = await app.inject({ method: 'GET', url: `/api/alerts/${n}`, headers: bearer });
    t.match(r.json(), { counts: { delivered: members } }, `alert ${n}: the admin API counts ${members} delivered`);
  }
});

t.test('a member starts a raise on the Vonage number and answers on the Twilio number: one conversation, replies from the number last used', async (t) => {
  const { db, vm, tw, base } = await setup(t);
  await addMembers(db, memberSpecs(3));
  const raiser = memberSpecs(3)[0]!.phone.slice(1);
  const textsTo = async (standin: { accepted(): { to: string; text: string }[] }, count: number) => {
    const until = Date.now() + 20_000;
    while (standin.accepted().filter((r) => r.to === raiser).length < count) {
      if (Date.now() > until) throw new Error(`waited for ${count} texts to the raiser`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return standin.accepted().filter((r) => r.to === raiser).map((r) => r.text);
  };

  t.equal(await vm.inbound(`${base}/webhooks/vonage/messages/inbound`, raiser, 'RAISE'), 200);
  const [question] = await textsTo(vm, 1);
  t.match(question, /YES/, 'the threshold question came from the Vonage number');
  t.equal(await tw.inbound(`${base}/webhooks/twilio/inbound`, raiser, 'YES'), 200);
  const [ask] = await textsTo(tw, 1);
  t.notMatch(ask, /Text RAISE/i, `the YES on the other number carried the raise on: ${ask}`);
  t.equal(await tw.inbound(`${base}/webhooks/twilio/inbound`, raiser, 'Ransomware on the PACS servers, isolating now'), 200);
  const [, confirm] = await textsTo(tw, 2);
  const code = /CONFIRM (\d+)/.exec(confirm ?? '')?.[1];
  t.ok(code, `the confirmation code came from the Twilio number: ${confirm}`);
  t.equal(await vm.inbound(`${base}/webhooks/vonage/messages/inbound`, raiser, `CONFIRM ${code}`), 200);
  await settled(db);
  const alerts = await db.selectFrom('alerts').select(['number', 'summary']).execute();
  t.equal(alerts.length, 1, 'one alert');
  t.match(alerts[0]!.summary, /PACS/, 'raised from answers given on both numbers');
  const inbound = await sql<{ provider: string }>`SELECT provider FROM inbound_messages WHERE msisdn = ${raiser} ORDER BY received_at`.execute(db);
  t.same(inbound.rows.map((r) => r.provider), ['vonage', 'twilio', 'twilio', 'vonage'], 'each text recorded with the number it came to');
  t.ok((await textsTo(vm, 2)).length >= 2, 'after CONFIRM on the Vonage number, the next text to the raiser came from it again');
  t.equal(vm.duplicates() + tw.duplicates(), 0, 'no text sent twice');
});
