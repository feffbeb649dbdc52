// The email channel against a real SMTP server (smtp-server): one email per member with an
// address, exactly; temporary refusals retried, permanent ones recorded against the recipient.
import net from 'node:net';
import t from 'tap';
import { freshDatabase } from './helpers/db.js';
import { addMembers, memberSpecs, testConfig } from './helpers/alert-fixtures.js';
import { startSmtpStandin, type SmtpStandin } from './helpers/smtp-standin.js';
import { drainAll, drainOnce, rowsOf } from './helpers/outbox-step.js';
import type { Database } from '../src/db/connect.js';
import type { Config } from '../src/config.js';
import { createAlert, type NewAlert } from '../src/alerts/create.js';
import { otherChannels } from '../src/outbox/write.js';
import { createEmailSender, classifySmtpError } from '../src/channels/email/sender.js';
import { emailSubject, renderAlertEmail } from '../src/channels/email/render.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
type Tap = Parameters<typeof freshDatabase>[0];

const email = (i: number) => `member${i}@nhs.test`;

async function setup(t: Tap, opts: { members?: number; smtp?: SmtpStandin } = {}) {
  const { db } = await freshDatabase(t);
  const smtp = opts.smtp ?? (await startSmtpStandin());
  t.teardown(() => smtp.close());
  const config = testConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'Batsignal <alerts@batsignal.test>' });
  const ids = await addMembers(db, memberSpecs(opts.members ?? 6));
  // Everyone but the last member has an address.
  for (let i = 0; i < ids.length - 1; i++) await db.updateTable('members').set({ email: email(i) }).where('id', '=', ids[i]!).execute();
  const sender = createEmailSender({ db, smtp: config.smtp!, batsignalNumber: config.batsignalNumber, timeouts: { connection: 1000, greeting: 500, socket: 2000 } });
  t.teardown(() => sender.close());
  return { db, smtp, config, sender, ids };
}

async function raise(db: Database, config: Config, a: Partial<NewAlert> = {}): Promise<number> {
  const r = await db.transaction().execute((trx) =>
    createAlert(
      trx,
      { raiserId: null, raiserName: 'Jane Smith', raiserOrg: 'Northtown Trust', summary: 'Ransomware spreading via SMB on the N3 link', exercise: false, source: 'admin', ...a },
      T0,
      otherChannels(config),
    ),
  );
  return r.alert.number;
}

t.test('fan-out: one email row per member with an address, raiser excluded, STOPped members included', async (t) => {
  const { db, config, ids } = await setup(t);
  await db.updateTable('members').set({ opted_out: true }).where('id', '=', ids[1]!).execute();
  const n = await raise(db, config, { raiserId: ids[0]!, raiserName: 'Member 0' });
  const rows = await rowsOf(db, 'email', n);
  t.same(rows.map((r) => r.recipient), [email(1), email(2), email(3), email(4)]);
  t.same(rows.map((r) => r.payload), [{ smsOptedOut: true }, { smsOptedOut: false }, { smsOptedOut: false }, { smsOptedOut: false }]);
  t.ok(rows.every((r) => r.kind === 'alert' && r.state === 'pending' && r.body === emailSubject({ number: n, summary: 'Ransomware spreading via SMB on the N3 link', exercise: false })));
  t.equal((await rowsOf(db, 'sms', n)).length, 4, 'texts: not the raiser, not the opted-out member');
});

t.test('success: every member with an address gets exactly one email, with the forum link', async (t) => {
  const { db, smtp, config, sender } = await setup(t);
  const n = await raise(db, config, { exercise: true, summary: 'Check <script>alert(1)</script> & "quotes"' });
  await db.updateTable('alerts').set({ forum_topic_url: 'https://forum.nhs.test/t/batsignal-1/123' }).where('number', '=', n).execute();
  await drainAll(db, sender, T0);
  t.equal(smtp.messages.length, 5);
  for (let i = 0; i < 5; i++) t.equal(smtp.to(email(i)).length, 1, `one to ${email(i)}`);
  const m = smtp.messages[0]!;
  t.equal(m.from, 'alerts@batsignal.test');
  t.match(m.subject, /^EXERCISE BATSIGNAL #1: Check <script>/);
  t.match(m.decoded, /THIS IS AN EXERCISE/);
  t.match(m.decoded, /https:\/\/forum\.nhs\.test\/t\/batsignal-1\/123/);
  t.match(m.decoded, /text ACK 1 to \+447700900999/);
  t.match(m.decoded, /Check &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/, 'escaped in HTML');
  t.notMatch(m.decoded, /<p[^>]*><script>/);
  t.match(m.raw, /Message-ID: <batsignal-1-\d+@batsignal\.test>/i);
  const rows = await rowsOf(db, 'email', n);
  t.ok(rows.every((r) => r.state === 'sent' && r.provider_id?.startsWith('<batsignal-1-')));
});

t.test('temporary refusal (451): that recipient retried, nobody gets two', async (t) => {
  const { db, smtp, config, sender } = await setup(t);
  const n = await raise(db, config);
  smtp.refuse(email(2), { code: 451, message: 'Mailbox busy, try later' });
  const first = await drainOnce(db, sender, T0);
  t.same([first.sent, first.retried, first.failed], [4, 1, 0]);
  const row = (await rowsOf(db, 'email', n)).find((r) => r.recipient === email(2))!;
  t.equal(row.state, 'pending');
  t.match(row.last_error, /mail server 451: .*Mailbox busy/);
  smtp.refuse(email(2), null);
  await drainAll(db, sender, at(1000));
  t.equal(smtp.messages.length, 5);
  for (let i = 0; i < 5; i++) t.equal(smtp.to(email(i)).length, 1);
});

t.test('permanent refusal (550): failed with the server’s reason, recorded for that recipient only', async (t) => {
  const { db, smtp, config, sender } = await setup(t);
  const n = await raise(db, config);
  smtp.refuse(email(3), { code: 550, message: 'No such user here' });
  await drainAll(db, sender, T0);
  const rows = await rowsOf(db, 'email', n);
  const bad = rows.find((r) => r.recipient === email(3))!;
  t.equal(bad.state, 'failed');
  t.match(bad.last_error, /refused by mail server: 550 No such user here/);
  t.equal(bad.attempts, 1, 'not retried');
  t.same(rows.filter((r) => r.state === 'sent').length, 4);
  t.equal(smtp.messages.length, 4);
  t.equal(smtp.to(email(3)).length, 0);
});

t.test('mail server down: every row retried, then each sent once when it is back', async (t) => {
  const { db, smtp, config, sender } = await setup(t);
  const n = await raise(db, config);
  await smtp.down();
  const r = await drainOnce(db, sender, T0);
  t.equal(r.retried, 5);
  t.ok((await rowsOf(db, 'email', n)).every((x) => x.state === 'pending' && /ECONNREFUSED|ESOCKET|ECONNECTION/.test(x.last_error ?? '')));
  await smtp.up();
  await drainAll(db, sender, at(1000));
  t.equal(smtp.messages.length, 5);
  for (let i = 0; i < 5; i++) t.equal(smtp.to(email(i)).length, 1);
});

t.test('a server that never greets: timeout, retried', async (t) => {
  const silent = net.createServer(() => {});
  const sockets = new Set<net.Socket>();
  silent.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const { db } = await freshDatabase(t);
  const smtp = { url: `smtp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, from: 'alerts@batsignal.test' };
  await addMembers(db, memberSpecs(1));
  await db.updateTable('members').set({ email: email(0) }).execute();
  const config = testConfig({ SMTP_URL: smtp.url, MAIL_FROM: smtp.from });
  const sender = createEmailSender({ db, smtp, batsignalNumber: config.batsignalNumber, timeouts: { connection: 500, greeting: 300, socket: 1000 } });
  t.teardown(() => sender.close());
  const n = await raise(db, config);
  t.equal((await drainOnce(db, sender, T0)).retried, 1);
  t.match((await rowsOf(db, 'email', n))[0]?.last_error, /ETIMEDOUT|Greeting never received/);
});

t.test('SMTP error classification', async (t) => {
  t.same(classifySmtpError({ responseCode: 552, response: '552 5.2.2 Mailbox full', permanent: true }), { ok: false, retry: false, error: 'refused by mail server: 552 5.2.2 Mailbox full' });
  t.equal(classifySmtpError({ responseCode: 421, response: '421 Too busy' }).ok, false);
  t.match(classifySmtpError({ responseCode: 421, response: '421 Too busy' }), { retry: true });
  t.match(classifySmtpError({ responseCode: 503, response: '503 Bad sequence' }), { retry: true }, '503 is session state');
  t.match(classifySmtpError({ code: 'EAUTH', responseCode: 535, response: '535 Auth failed', permanent: false }), { retry: true }, 'our credentials, not the recipient');
  t.match(classifySmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' })), { retry: true });
});

t.test('email words: opted-out members are told how to get texts back, not asked to ACK', async (t) => {
  const a = { number: 7, raiser_name: 'Jo Bloggs', raiser_org: 'Westshire ICB', summary: 'Phishing wave', exercise: false, created_at: new Date('2026-07-01T09:30:00Z'), forum_topic_url: null };
  const opted = renderAlertEmail(a, { batsignalNumber: '447700900999', smsOptedOut: true });
  t.match(opted.text, /Text START to \+447700900999/);
  t.notMatch(opted.text, /ACK 7/);
  t.notMatch(opted.text, /Discussion on the forum/, 'no link before the topic exists');
  t.match(opted.text, /Raised by Jo Bloggs \(Westshire ICB\) at Wed, 1 Jul 2026, 10:30 BST/);
  t.equal(opted.subject, 'BATSIGNAL #7: Phishing wave');
  const normal = renderAlertEmail(a, { batsignalNumber: '447700900999', smsOptedOut: false });
  t.match(normal.text, /text ACK 7 to \+447700900999/);
  t.match(normal.html, /<h1[^>]*>BATSIGNAL #7<\/h1>/);
});
