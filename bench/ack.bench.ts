// ACK throughput: signed Vonage inbound webhooks ("ACK 1") through the real app on a real socket
// with PostgreSQL (signature, sender lock, de-duplication, loop limit, the conversation, the
// acknowledgement and its reply, one transaction each), driven by autocannon:
//   burst: 1,800 members acknowledging one alert at once; sustained: 9,000 ACKs over five alerts.
// Then pgbench on the same PostgreSQL runs one comparable transaction (insert the inbound record,
// update the delivery's acked_at) as the ceiling, and the ratio ACK rps / pgbench tps is printed.
// The server runs in a child process (this file again, ACK_BENCH_SERVER_DB set) so that the load
// generator does not share its event loop, as Vonage's traffic would not.
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { connect, type Database } from '../src/db/connect.js';
import { systemClock } from '../src/clock.js';
import { signVonageParams } from '../src/providers/vonage-sms/signature.js';
import { addMembers, markSent, memberSpecs, OUR_NUMBER, raiseAlert, testConfig } from '../test/helpers/alert-fixtures.js';
import { benchDatabase, fmt } from './helpers.js';

const MEMBERS = 1800;
const BURST_CONNECTIONS = 50;
const WARMUP = 300;
const SUSTAINED_ALERTS = 5; // 1 + 1 + 5 ACKs per member stays under the inbound loop cap (10 a minute)
const CONNECTIONS = 20; // sustained run and pgbench clients
const POOL = 30; // the server's PostgreSQL pool, as in production
const SECRET = 'bench-signature-secret';

async function serve(url: string): Promise<void> {
  const db = connect(url, POOL);
  const config = testConfig({ VONAGE_SIGNATURE_SECRET: SECRET, VONAGE_SIGNATURE_METHOD: 'sha256', LOG_LEVEL: 'info' });
  // Production logs one line per webhook: keep that cost in, send the lines nowhere.
  const devnull = new Writable({ write: (_c, _e, cb) => cb() });
  const app = await buildApp({ config, db, clock: systemClock, adminTokens: ['bench-admin-token-123456'] }, { level: 'info', stream: devnull });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`port ${(app.server.address() as { port: number }).port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void app.close().then(() => db.destroy()).then(() => process.exit(0)));
}

async function startServer(url: string): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, ACK_BENCH_SERVER_DB: url },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { port, stop: () => (child.stdin.end(), exited) };
}

function ackBody(msisdn: string, text: string): string {
  const now = new Date();
  const params = signVonageParams(
    {
      msisdn, to: OUR_NUMBER, messageId: randomBytes(8).toString('hex').toUpperCase(), text, type: 'text', keyword: 'ACK',
      'message-timestamp': now.toISOString().slice(0, 19).replace('T', ' '), timestamp: String(Math.floor(now.getTime() / 1000)),
      nonce: randomBytes(16).toString('hex'),
    },
    SECRET,
    'sha256',
  );
  return new URLSearchParams(params).toString();
}

/** Sends every body once; prints and returns requests/s. */
async function load(label: string, port: number, connections: number, bodies: string[]): Promise<number> {
  let k = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: bodies.length,
    requests: [{
      method: 'POST',
      path: '/webhooks/vonage/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (req) => ({ ...req, body: bodies[k++ % bodies.length] }),
    }],
  });
  const rps = result.requests.total / result.duration;
  console.log(`${label} webhooks: ${fmt(result.requests.total)} requests (${connections} connections, signed sha256, form)`);
  console.log(`${label} non-2xx: ${fmt(result.non2xx + result.errors + result.timeouts)} responses`);
  console.log(`${label} duration: ${fmt(result.duration, 2)} s`);
  console.log(`${label} ACK throughput: ${fmt(rps)} requests/s`);
  console.log(`${label} latency p50: ${fmt(result.latency.p50)} ms`);
  console.log(`${label} latency p99: ${fmt(result.latency.p99)} ms`);
  return rps;
}

async function acked(db: Database, alerts: number[]): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(acked_at)::int AS n FROM deliveries WHERE alert_number = ANY(${alerts}::int[])`.execute(db);
  return r.rows[0]!.n;
}

function findPgbench(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(root, v, 'bin', 'pgbench')).find((p) => existsSync(p));
}

/**
 * The same work an ACK does in the database and nothing else: record the inbound text, set acked_at.
 * With `notify`, also the pg_notify('outbox') that enqueueSms issues inside the deciding transaction:
 * a notifying transaction takes a cluster-wide lock through its commit (and its WAL flush), so
 * such commits queue one behind another instead of sharing a flush.
 */
function pgbenchTps(url: string, alert: number, notify: boolean): number | string {
  const pgbench = findPgbench();
  if (!pgbench) return 'not found (install postgresql-client)';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-pgbench-'));
  const script = path.join(dir, 'ack.sql');
  writeFileSync(script, [
    `\\set m random(1, ${MEMBERS})`,
    'BEGIN;',
    `INSERT INTO inbound_messages (message_id, msisdn, text, type, outcome) VALUES (gen_random_uuid()::text, '447400101000', 'ACK ${alert}', 'text', 'processed');`,
    `UPDATE deliveries SET acked_at = coalesce(acked_at, now()) WHERE alert_number = ${alert} AND member_id = :m;`,
    ...(notify ? ["SELECT pg_notify('outbox', '');"] : []),
    'END;',
    '',
  ].join('\n'));
  try {
    const r = spawnSync(pgbench, ['-n', '-c', String(CONNECTIONS), '-j', '2', '-T', '10', '-f', script, url], { encoding: 'utf8' });
    const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1]);
    return r.status === 0 && Number.isFinite(tps) ? tps : `failed (${(r.stderr || r.stdout).trim().split('\n').pop()})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { db, url, close } = await benchDatabase(5);
  const specs = memberSpecs(MEMBERS, 1000); // 07400 1xxxxx: valid mobiles, clear of our own number
  await addMembers(db, specs);
  const phones = specs.map((s) => s.phone.slice(1));
  const alerts: number[] = [];
  // alerts[0]: warm-up (a running server is warm); [1]: burst; the rest: sustained.
  for (let i = 0; i <= SUSTAINED_ALERTS + 1; i++) alerts.push(await raiseAlert(db, new Date(), { summary: `Bench alert ${i}` }));
  for (const n of alerts) await markSent(db, n, new Date(), { receipt: 'delivered' });
  const [warm, first, ...rest] = alerts as [number, number, ...number[]];

  // Bodies are signed up front so the load generator measures the server, not the signing.
  const warmup = phones.slice(0, WARMUP).map((p) => ackBody(p, `ACK ${warm}`));
  const burst = phones.map((p) => ackBody(p, `ACK ${first}`));
  const sustained = rest.flatMap((n) => phones.map((p) => ackBody(p, `Ack ${n}`)));

  const server = await startServer(url);
  let burstRps: number, sustainedRps: number;
  try {
    await load('warm-up', server.port, CONNECTIONS, warmup);
    burstRps = await load('burst', server.port, BURST_CONNECTIONS, burst);
    console.log(`burst acknowledged: ${fmt(await acked(db, [first]))} of ${fmt(MEMBERS)} members`);
    sustainedRps = await load('sustained', server.port, CONNECTIONS, sustained);
    console.log(`sustained acknowledged: ${fmt(await acked(db, rest))} of ${fmt(sustained.length)}`);
  } finally {
    await server.stop();
  }

  const tps = pgbenchTps(url, first, false);
  if (typeof tps === 'string') {
    console.log(`pgbench: ${tps}; ratio not measured`);
  } else {
    console.log(`pgbench insert+update: ${fmt(tps)} transactions/s (${CONNECTIONS} clients, 10 s)`);
    console.log(`ratio burst ACK / pgbench: ${fmt((100 * burstRps) / tps)} %`);
    console.log(`ratio sustained ACK / pgbench: ${fmt((100 * sustainedRps) / tps)} % (target >= 40 %)`);
    const withNotify = pgbenchTps(url, first, true);
    if (typeof withNotify === 'number') {
      console.log(`pgbench insert+update+notify in the transaction: ${fmt(withNotify)} transactions/s`);
      console.log(`ratio sustained ACK / pgbench with notify: ${fmt((100 * sustainedRps) / withNotify)} %`);
    }
  }
  await close();
}

if (process.env.ACK_BENCH_SERVER_DB) await serve(process.env.ACK_BENCH_SERVER_DB);
else await main();
