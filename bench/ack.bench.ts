// ACK throughput: signed Vonage inbound webhooks ("ACK 1") through the real app on a real socket
// with PostgreSQL (signature, sender lock, de-duplication, loop limit, the conversation, the
// acknowledgement and its reply, one transaction each), driven by autocannon:
//   burst: 1,800 members acknowledging one alert at once; sustained: 7,200 ACKs over four alerts.
// Then pgbench on the same PostgreSQL runs one comparable transaction (insert the inbound record,
// update the delivery's acked_at) as the ceiling, and the ratio ACK rps / pgbench tps is printed.
// Last, a steady 300 ACKs/s for the latency target (p99 < 50 ms).
// The server runs in its own process (bench/serve.ts) so that the load generator does not share its
// event loop, as Vonage's traffic would not.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../src/db/connect.js';
import { signVonageParams } from '../src/providers/vonage-sms/signature.js';
import { addMembers, markSent, memberSpecs, OUR_NUMBER, raiseAlert } from '../test/helpers/alert-fixtures.js';
import { benchDatabase, cpuPer, cpuSnapshot, fmt, pgbenchRun, timedAutocannon, type CpuSnapshot } from './helpers.js';
import { BENCH_SECRET, startBenchServer } from './serve.js';

const MEMBERS = 1800;
const BURST_CONNECTIONS = 50;
const WARMUP = 300;
const SUSTAINED_ALERTS = 4; // 1 + 1 + 4 + 2 (paced) ACKs per member stays under the inbound loop cap (10 a minute)
const RATE = 300;
const RATE_SECONDS = 10;
const CONNECTIONS = 20; // sustained run and pgbench clients

function ackBody(msisdn: string, text: string): string {
  const now = new Date();
  const params = signVonageParams(
    {
      msisdn, to: OUR_NUMBER, messageId: randomBytes(8).toString('hex').toUpperCase(), text, type: 'text', keyword: 'ACK',
      'message-timestamp': now.toISOString().slice(0, 19).replace('T', ' '), timestamp: String(Math.floor(now.getTime() / 1000)),
      nonce: randomBytes(16).toString('hex'),
    },
    BENCH_SECRET,
    'sha256',
  );
  return new URLSearchParams(params).toString();
}

/** Sends every body once; prints and returns requests/s. */
async function load(label: string, port: number, connections: number, bodies: string[], rate?: number): Promise<{ rps: number; p99: number }> {
  let k = 0;
  const { result, seconds } = await timedAutocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: bodies.length,
    ...(rate ? { overallRate: rate } : {}),
    requests: [{
      method: 'POST',
      path: '/webhooks/vonage/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (req) => ({ ...req, body: bodies[k++ % bodies.length] }),
    }],
  });
  const rps = result.requests.total / seconds;
  console.log(`${label} webhooks: ${fmt(result.requests.total)} requests (${connections} connections, signed sha256, form)`);
  console.log(`${label} non-2xx: ${fmt(result.non2xx + result.errors + result.timeouts)} responses`);
  console.log(`${label} duration: ${fmt(seconds, 2)} s (first request to last response)`);
  console.log(`${label} ACK throughput: ${fmt(rps)} requests/s`);
  console.log(`${label} latency p50: ${fmt(result.latency.p50)} ms`);
  console.log(`${label} latency p99: ${fmt(result.latency.p99)} ms`);
  return { rps, p99: result.latency.p99 };
}

async function acked(db: Database, alerts: number[]): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(acked_at)::int AS n FROM deliveries WHERE alert_number = ANY(${alerts}::int[])`.execute(db);
  return r.rows[0]!.n;
}

/**
 * The ceiling (its "before" was measured against it): record the inbound text, set acked_at.
 * `reply`: also queue the reply, which every ACK must write in the same transaction (the outbox),
 * as the HELP bench's ceiling does: the database work an ACK cannot do without. `notify`: also the
 * pg_notify('outbox') inside the transaction, which the app does not do (src/outbox/signal.ts: a
 * notifying transaction holds a cluster-wide lock through its commit, so such commits queue).
 */
function ackShaped(url: string, alert: number, opts: { reply?: boolean; notify?: boolean } = {}): number | string {
  const before = cpuSnapshot();
  const r = pgbenchRun(url, [
    `\\set m random(1, ${MEMBERS})`,
    'BEGIN;',
    `INSERT INTO inbound_messages (message_id, msisdn, text, type, outcome) VALUES (gen_random_uuid()::text, '447400101000', 'ACK ${alert}', 'text', 'processed');`,
    `UPDATE deliveries SET acked_at = coalesce(acked_at, now()) WHERE alert_number = ${alert} AND member_id = :m;`,
    ...(opts.reply
      ? [`INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, created_at, next_attempt_at) VALUES ('sms', 'reply', 0, ${alert}, :m, '+447400101000', 'Batsignal: ACK recorded for alert #${alert}. Thank you.', now(), now());`]
      : []),
    ...(opts.notify ? ["SELECT pg_notify('outbox', '');"] : []),
    'END;',
    '',
  ].join('\n'), CONNECTIONS);
  if (typeof r === 'string') return r;
  const cpu = cpuPer(before, cpuSnapshot(), r.transactions);
  cpuLines.push(`CPU per pgbench transaction (${opts.reply ? 'insert+update+reply' : opts.notify ? 'insert+update+notify' : 'insert+update'}): PostgreSQL ${fmt(cpu.postgres, 3)} ms, pgbench ${fmt(cpu.children, 3)} ms`);
  return r.tps;
}

const cpuLines: string[] = [];
const cpuLine = (label: string, c: CpuSnapshot) =>
  `CPU per ${label}: server ${fmt(c.server, 3)} ms, PostgreSQL ${fmt(c.postgres, 3)} ms, load generator ${fmt(c.self, 3)} ms, total ${fmt(c.server + c.postgres + c.self, 3)} ms (2 cores: ${fmt(2000 / (c.server + c.postgres + c.self), 0)}/s at most)`;

async function main(): Promise<void> {
  const { db, url, close } = await benchDatabase(5);
  const specs = memberSpecs(MEMBERS, 1000); // 07400 1xxxxx: valid mobiles, clear of our own number
  await addMembers(db, specs);
  const phones = specs.map((s) => s.phone.slice(1));
  const alerts: number[] = [];
  // alerts[0]: warm-up (a running server is warm); [1]: burst; the rest: sustained.
  for (let i = 0; i <= SUSTAINED_ALERTS + 2; i++) alerts.push(await raiseAlert(db, new Date(), { summary: `Bench alert ${i}` }));
  for (const n of alerts) await markSent(db, n, new Date(), { receipt: 'delivered' });
  const [warm, first, paced, ...rest] = alerts as [number, number, number, ...number[]];

  // Bodies are signed up front so the load generator measures the server, not the signing.
  const warmup = phones.slice(0, WARMUP).map((p) => ackBody(p, `ACK ${warm}`));
  const burst = phones.map((p) => ackBody(p, `ACK ${first}`));
  const sustained = rest.flatMap((n) => phones.map((p) => ackBody(p, `Ack ${n}`)));
  const steady = Array.from({ length: RATE * RATE_SECONDS }, (_, i) => ackBody(phones[i % MEMBERS]!, `ACK ${paced}`));

  const server = await startBenchServer(url, { BATSIGNAL_NUMBER: OUR_NUMBER });
  let burstRps: number, sustainedRps: number;
  try {
    await load('warm-up', server.port, CONNECTIONS, warmup);
    burstRps = (await load('burst', server.port, BURST_CONNECTIONS, burst)).rps;
    console.log(`burst acknowledged: ${fmt(await acked(db, [first]))} of ${fmt(MEMBERS)} members`);
    const before = cpuSnapshot(server.pid);
    sustainedRps = (await load('sustained', server.port, CONNECTIONS, sustained)).rps;
    cpuLines.push(cpuLine('sustained ACK', cpuPer(before, cpuSnapshot(server.pid), sustained.length)));
    console.log(`sustained acknowledged: ${fmt(await acked(db, rest))} of ${fmt(sustained.length)}`);
    const steadyRun = await load(`at ${RATE}/s`, server.port, CONNECTIONS, steady, RATE);
    console.log(`ACK latency at ${RATE}/s p99: ${fmt(steadyRun.p99)} ms (target < 50 ms, ratio ${fmt(steadyRun.p99 / 50, 2)})`);
  } finally {
    await server.stop();
  }

  const tps = ackShaped(url, first);
  if (typeof tps === 'string') {
    console.log(`pgbench: ${tps}; ratio not measured`);
  } else {
    console.log(`pgbench insert+update: ${fmt(tps)} transactions/s (${CONNECTIONS} clients, 10 s)`);
    console.log(`ratio burst ACK / pgbench: ${fmt((100 * burstRps) / tps)} %`);
    console.log(`ratio sustained ACK / pgbench: ${fmt((100 * sustainedRps) / tps)} % (target >= 40 %, aim 60 %)`);
    const withReply = ackShaped(url, first, { reply: true });
    if (typeof withReply === 'number') {
      console.log(`pgbench insert+update+reply (an ACK's own writes): ${fmt(withReply)} transactions/s`);
      console.log(`ratio sustained ACK / pgbench with the reply: ${fmt((100 * sustainedRps) / withReply)} %`);
    }
    const withNotify = ackShaped(url, first, { notify: true });
    if (typeof withNotify === 'number') {
      console.log(`pgbench insert+update+notify in the transaction: ${fmt(withNotify)} transactions/s`);
      console.log(`ratio sustained ACK / pgbench with notify: ${fmt((100 * sustainedRps) / withNotify)} %`);
    }
  }
  // Where the CPU goes: what bounds the ratio on a 2-core machine.
  for (const l of cpuLines) console.log(l);
  await close();
}

await main();
