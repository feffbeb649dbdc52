// Inbound webhook throughput for a conversation step: signed Vonage webhooks (form-encoded, as the
// dashboard's default POST), each a fresh messageId from one of 1,800 members texting HELP, through
// the real app on a real socket with PostgreSQL: signature check, sender lock, de-duplication,
// member lookup, loop-limit count, the conversation and its outbox reply, one transaction each.
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/clock.js';
import { signVonageParams } from '../src/providers/vonage-sms/signature.js';
import { benchDatabase, fmt } from './helpers.js';

const MEMBERS = 1800;
const TEXTS_PER_MEMBER = 3; // below the 10-a-minute loop cap, so every request takes the full path
const CONNECTIONS = 20;
const SECRET = 'bench-signature-secret';
const OUR = '447700900000';

const { db, close } = await benchDatabase(30);
const phones = Array.from({ length: MEMBERS }, (_, i) => `+447400${String(100000 + i)}`);
for (let i = 0; i < MEMBERS; i += 500) {
  await db
    .insertInto('members')
    .values(phones.slice(i, i + 500).map((phone, j) => ({ name: `Member ${i + j}`, phone, organisation: 'Bench Trust' })))
    .execute();
}

const config = loadConfig({ VONAGE_SIGNATURE_SECRET: SECRET, VONAGE_SIGNATURE_METHOD: 'sha256', BATSIGNAL_NUMBER: OUR, LOG_LEVEL: 'info' });
// Production logs one line per webhook: keep that cost in, send the lines nowhere.
const devnull = new Writable({ write: (_c, _e, cb) => cb() });
const app = await buildApp({ config, db, clock: systemClock, adminTokens: ['bench-admin-token-123456'] }, { level: 'info', stream: devnull });
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;

let sent = 0;
function nextBody(): string {
  const from = phones[sent++ % MEMBERS]!.slice(1);
  const now = new Date();
  const params = signVonageParams(
    {
      msisdn: from, to: OUR, messageId: randomBytes(8).toString('hex').toUpperCase(), text: 'HELP', type: 'text', keyword: 'HELP',
      'message-timestamp': now.toISOString().slice(0, 19).replace('T', ' '), timestamp: String(Math.floor(now.getTime() / 1000)),
      nonce: randomBytes(16).toString('hex'),
    },
    SECRET,
    'sha256',
  );
  return new URLSearchParams(params).toString();
}

const amount = MEMBERS * TEXTS_PER_MEMBER;
const result = await autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: CONNECTIONS,
  amount,
  requests: [
    {
      method: 'POST',
      path: '/webhooks/vonage/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (req) => ({ ...req, body: nextBody() }),
    },
  ],
});

const rows = await db
  .selectFrom('inbound_messages')
  .select(['outcome', (eb) => eb.fn.countAll<string>().as('n')])
  .groupBy('outcome')
  .execute();
const replies = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

console.log(`members: ${fmt(MEMBERS)} members`);
console.log(`webhooks: ${fmt(result.requests.total)} requests (${CONNECTIONS} connections, signed sha256, form)`);
console.log(`non-2xx: ${fmt(result.non2xx)} responses`);
console.log(`errors: ${fmt(result.errors + result.timeouts)} requests`);
console.log(`inbound throughput: ${fmt(result.requests.average)} requests/s`);
console.log(`inbound latency p50: ${fmt(result.latency.p50)} ms`);
console.log(`inbound latency p99: ${fmt(result.latency.p99)} ms`);
console.log(`inbound latency max: ${fmt(result.latency.max)} ms`);
console.log(`stored: ${rows.map((r) => `${r.outcome}=${r.n}`).join(' ')} (replies queued ${replies.n})`);

await app.close();
await close();
