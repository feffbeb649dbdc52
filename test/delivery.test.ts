// The dispatcher with the real Vonage SDK against the local stand-in: every member gets the alert
// exactly once, through throttling, HTTP errors, timeouts and permanent refusals.
import t from 'tap';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, raiseAlert } from './helpers/alert-fixtures.js';
import { startVonageStandin } from './helpers/vonage-standin.js';
import { FAST_BACKOFF, FROM, outboxStates, quietLog, settled, standinSms } from './helpers/delivery.js';
import { startOutbox } from '../src/outbox/run.js';
import { enqueueSms } from '../src/outbox/write.js';

t.test('a broadcast reaches every member once, with client-ref = outbox id', async (t) => {
  const { db } = await freshDatabase(t);
  const vonage = await startVonageStandin();
  t.teardown(() => vonage.close());
  await addMembers(db, memberSpecs(40));
  const n = await raiseAlert(db, new Date());
  const outbox = startOutbox(db, quietLog, [{ sender: standinSms(vonage), ratePerSecond: 0 }]);
  t.teardown(() => outbox.stop());
  await settled(db);

  t.same(await outboxStates(db), { sent: 40 });
  t.equal(vonage.accepted().length, 40, '40 requests');
  t.equal(vonage.duplicates(), 0, 'nobody twice');
  for (const spec of memberSpecs(40)) t.equal(vonage.acceptedTo(spec.phone), 1, `${spec.phone} once`);
  const rows = await db.selectFrom('outbox').select(['id', 'provider_id', 'recipient', 'attempts', 'sent_at']).where('alert_number', '=', n).execute();
  const byRef = new Map(vonage.requests.map((r) => [r.clientRef, r]));
  for (const row of rows) {
    const req = byRef.get(row.id);
    t.ok(req, `request with client-ref ${row.id}`);
    t.equal(req?.to, row.recipient.slice(1), 'to is digits without +');
    t.equal(req?.from, FROM);
    t.equal(row.provider_id, req?.messageIds[0], 'message-id recorded');
    t.equal(row.attempts, 1);
    t.ok(row.sent_at);
  }
  t.match(vonage.requests[0]!.text, /^BATSIGNAL #1 from Jane Smith \(Northtown Trust\): .* Reply ACK 1 to confirm\.$/);
  t.equal(vonage.requests[0]!.type, 'text', 'GSM-7: no unicode type');
});

t.test('provider faults (20% throttled, 5% HTTP 500): every member exactly once', async (t) => {
  const { db } = await freshDatabase(t);
  const vonage = await startVonageStandin({ faults: { throttleFraction: 0.2, http500Fraction: 0.05 }, seed: 7 });
  t.teardown(() => vonage.close());
  await addMembers(db, memberSpecs(300));
  await raiseAlert(db, new Date());
  const outbox = startOutbox(db, quietLog, [{ sender: standinSms(vonage), ratePerSecond: 0, backoff: FAST_BACKOFF, pollMs: 20 }]);
  t.teardown(() => outbox.stop());
  await settled(db);

  t.same(await outboxStates(db), { sent: 300 });
  t.equal(vonage.accepted().length, 300);
  t.equal(vonage.duplicates(), 0, 'no duplicates');
  t.ok(vonage.requests.some((r) => r.outcome === 'throttled'), 'some were throttled');
  t.ok(vonage.requests.some((r) => r.outcome === 'http500'), 'some got HTTP 500');
  const retried = await db.selectFrom('outbox').select(['attempts', 'last_error']).where('attempts', '>', 1).execute();
  t.ok(retried.length > 0, `${retried.length} rows needed more than one attempt`);
  t.ok(retried.every((r) => /vonage (1 throttled|HTTP 500)|lease expired before the send started/.test(r.last_error ?? '')), 'last_error says why');
});

t.test('permanent refusals are failed with their reason and not retried', async (t) => {
  const { db } = await freshDatabase(t);
  const specs = memberSpecs(5);
  const vonage = await startVonageStandin({ faults: { permanent: { [specs[1]!.phone.slice(1)]: '7', [specs[2]!.phone.slice(1)]: '29', [specs[3]!.phone.slice(1)]: '77' } } });
  t.teardown(() => vonage.close());
  await addMembers(db, specs);
  await raiseAlert(db, new Date());
  const outbox = startOutbox(db, quietLog, [{ sender: standinSms(vonage), ratePerSecond: 0, backoff: FAST_BACKOFF, pollMs: 20 }]);
  t.teardown(() => outbox.stop());
  await settled(db);
  const row = (phone: string) => db.selectFrom('outbox').selectAll().where('recipient', '=', phone).executeTakeFirstOrThrow();
  const barred = await row(specs[1]!.phone);
  t.equal(barred.state, 'failed');
  t.equal(barred.attempts, 1, 'tried once');
  t.equal(barred.last_error, 'vonage 7 number barred: Number barred');
  t.equal((await row(specs[2]!.phone)).last_error, 'vonage 29 non-whitelisted destination: Non-Whitelisted Destination');
  const odd = await row(specs[3]!.phone);
  t.equal(odd.state, 'failed', 'an undocumented status is retried a few times, then failed');
  t.equal(odd.attempts, 3);
  t.match(odd.last_error, /undocumented.*after 3 attempts/);
  t.equal(vonage.requests.filter((r) => r.to === specs[1]!.phone.slice(1)).length, 1, 'one request to the barred number');
  t.equal((await row(specs[0]!.phone)).state, 'sent');
});

// The client timeout is 5 s, not less: a request the stand-in accepted but answered after the
// client gave up is the ambiguous case (resent after the receipt grace, and there are no receipts
// here), so a short timeout counts the machine's load as duplicates (300 ms: 62 of them with the
// full suite running on 2 cores). The hanging requests still time out and are retried.
t.test('HTTP 429 honours Retry-After; timeouts are retried after the receipt grace', async (t) => {
  const { db } = await freshDatabase(t);
  const vonage = await startVonageStandin({ faults: { http429Fraction: 0.3, retryAfterSeconds: 1, hangFraction: 0.1 }, seed: 3 });
  t.teardown(() => vonage.close());
  await addMembers(db, memberSpecs(30));
  await raiseAlert(db, new Date());
  const outbox = startOutbox(db, quietLog, [{ sender: standinSms(vonage, { timeoutMs: 5000 }), ratePerSecond: 0, backoff: FAST_BACKOFF, receiptGraceMs: 500, pollMs: 20 }]);
  t.teardown(() => outbox.stop());
  await settled(db, 30_000);
  t.same(await outboxStates(db), { sent: 30 });
  t.equal(vonage.duplicates(), 0);
  t.ok(vonage.requests.some((r) => r.outcome === 'http429'), 'some got 429');
  t.ok(vonage.requests.some((r) => r.outcome === 'hang'), 'some timed out');
  const errors = (await db.selectFrom('outbox').select('last_error').where('last_error', 'is not', null).execute()).map((r) => r.last_error);
  t.ok(errors.some((e) => e === 'vonage HTTP 429'), '429 recorded');
  t.ok(errors.some((e) => /timed out/.test(e ?? '')), 'timeout recorded');
});

t.test('a unicode text is sent with type unicode; typographic quotes are normalised to GSM-7', async (t) => {
  const { db } = await freshDatabase(t);
  const vonage = await startVonageStandin();
  t.teardown(() => vonage.close());
  await db.transaction().execute((trx) =>
    enqueueSms(trx, [
      { memberId: null, to: '+447700900001', body: 'Déjà vu — “quoted” … ok', kind: 'reply' },
      { memberId: null, to: '+447700900002', body: 'Ransomware 🔥 on ward PCs', kind: 'reply' },
    ], new Date()),
  );
  const outbox = startOutbox(db, quietLog, [{ sender: standinSms(vonage), ratePerSecond: 0 }]);
  t.teardown(() => outbox.stop());
  await settled(db);
  const a = vonage.requests.find((r) => r.to === '447700900001')!;
  const b = vonage.requests.find((r) => r.to === '447700900002')!;
  t.same([a.type, a.text], ['text', 'Déjà vu - "quoted" ... ok']);
  t.same([b.type, b.text], ['unicode', 'Ransomware 🔥 on ward PCs']);
});
