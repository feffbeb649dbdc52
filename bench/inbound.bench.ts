// Inbound webhook for a conversation step: signed Vonage webhooks (form-encoded, as the dashboard's
// default POST), each a fresh messageId from one of 1,800 members texting HELP, through the real app
// on a real socket with PostgreSQL: signature check, sender lock, de-duplication, member lookup,
// loop-limit count, the conversation and its outbox reply, one transaction each.
// The server runs in its own process (bench/serve.ts); autocannon runs here, so the figures are the
// server's alone. Two runs: as fast as it goes (20 connections), then a steady 300 requests/s for
// latency. pgbench on the same PostgreSQL runs the same database work (record the text, queue the
// reply) as the ceiling. The parser on 40,000-character adversarial texts is bench/parse.bench.ts.
import { randomBytes } from 'node:crypto';
import { signVonageParams } from '../src/providers/vonage-sms/signature.js';
import { benchDatabase, fmt, pgbenchTps, timedAutocannon } from './helpers.js';
import { BENCH_SECRET, startBenchServer } from './serve.js';

const MEMBERS = 1800;
const CONNECTIONS = 20;
const RATE = 300;
const RATE_SECONDS = 10;
const OUR = '447700900000';

function helpBody(from: string): string {
  const now = new Date();
  const params = signVonageParams(
    {
      msisdn: from, to: OUR, messageId: randomBytes(8).toString('hex').toUpperCase(), text: 'HELP', type: 'text', keyword: 'HELP',
      'message-timestamp': now.toISOString().slice(0, 19).replace('T', ' '), timestamp: String(Math.floor(now.getTime() / 1000)),
      nonce: randomBytes(16).toString('hex'),
    },
    BENCH_SECRET,
    'sha256',
  );
  return new URLSearchParams(params).toString();
}

async function load(port: number, bodies: string[], rate?: number) {
  let k = 0;
  return timedAutocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    amount: bodies.length,
    ...(rate ? { overallRate: rate } : {}),
    requests: [{
      method: 'POST',
      path: '/webhooks/vonage/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (req) => ({ ...req, body: bodies[k++ % bodies.length] }),
    }],
  });
}

const { db, url, close } = await benchDatabase(5);
const phones = Array.from({ length: MEMBERS }, (_, i) => `+447400${String(100000 + i)}`);
for (let i = 0; i < MEMBERS; i += 500) {
  await db
    .insertInto('members')
    .values(phones.slice(i, i + 500).map((phone, j) => ({ name: `Member ${i + j}`, phone, organisation: 'Bench Trust' })))
    .execute();
}
// Bodies are signed up front so the load generator measures the server, not the signing. Each member
// texts at most 4 times in all, under the 10-a-minute loop cap: every request takes the full path.
const warmup = phones.slice(0, 200).map((p) => helpBody(p.slice(1)));
const flat = [...phones, ...phones].map((p) => helpBody(p.slice(1)));
const steady = Array.from({ length: RATE * RATE_SECONDS }, (_, i) => helpBody(phones[(i + 200) % MEMBERS]!.slice(1)));

const server = await startBenchServer(url, { BATSIGNAL_NUMBER: OUR });
let rps: number;
try {
  await load(server.port, warmup);
  const { result: full, seconds } = await load(server.port, flat);
  rps = full.requests.total / seconds;
  console.log(`members: ${fmt(MEMBERS)} members`);
  console.log(`HELP webhooks flat out: ${fmt(full.requests.total)} requests (${CONNECTIONS} connections, signed sha256, form), non-2xx ${fmt(full.non2xx + full.errors + full.timeouts)}`);
  console.log(`HELP throughput: ${fmt(rps)} requests/s`);
  console.log(`HELP latency flat out p50: ${fmt(full.latency.p50)} ms, p99: ${fmt(full.latency.p99)} ms`);
  const { result: paced, seconds: pacedSeconds } = await load(server.port, steady, RATE);
  console.log(`HELP at ${RATE} requests/s: ${fmt(paced.requests.total)} requests in ${fmt(pacedSeconds, 1)} s, non-2xx ${fmt(paced.non2xx + paced.errors + paced.timeouts)}`);
  console.log(`HELP latency at ${RATE}/s p50: ${fmt(paced.latency.p50)} ms, p99: ${fmt(paced.latency.p99)} ms (target p99 < 50 ms, ratio ${fmt(paced.latency.p99 / 50, 2)})`);
} finally {
  await server.stop();
}

const rows = await db.selectFrom('inbound_messages').select(['outcome', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('outcome').execute();
const replies = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
console.log(`stored: ${rows.map((r) => `${r.outcome}=${r.n}`).join(' ')} (replies queued ${replies.n})`);

// The database work of a HELP and nothing else: record the text, queue the reply (with its notify).
const tps = pgbenchTps(url, [
  `\\set m random(100000, ${100000 + MEMBERS - 1})`,
  'BEGIN;',
  "INSERT INTO inbound_messages (message_id, msisdn, text, type, outcome) VALUES (gen_random_uuid()::text, '447400' || :m, 'HELP', 'text', 'processed');",
  "INSERT INTO outbox (channel, kind, priority, member_id, recipient, body) VALUES ('sms', 'reply', 0, NULL, '+447400' || :m, 'Batsignal: RAISE to raise an alert.');",
  "SELECT pg_notify('outbox', '');",
  'END;',
  '',
].join('\n'), CONNECTIONS);
if (typeof tps === 'string') console.log(`pgbench: ${tps}; ratio not measured`);
else {
  console.log(`pgbench HELP-shaped (insert text + insert reply + notify): ${fmt(tps)} transactions/s (${CONNECTIONS} clients, 10 s)`);
  console.log(`ratio HELP webhook / pgbench: ${fmt((100 * rps) / tps)} % (target >= 40 %, aim 60 %)`);
}
await close();
