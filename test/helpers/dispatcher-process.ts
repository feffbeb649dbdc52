// A Batsignal instance in a child process, for the crash, two-instance and throughput tests and the
// bench: the HTTP app (delivery receipts land here) and the outbox dispatcher with the real Vonage
// SDK, configured through the environment like the service. It can really be killed with SIGKILL.
//
//   const p = spawnInstance({ DATABASE_URL, VONAGE_REST_HOST, ..., PORT: '0' });
//   await p.ready;                 // listening and dispatching; p.port is its HTTP port
//   p.kill('SIGKILL')              // or: const stats = await p.stop() (SIGTERM: clean stop, returns its counts)
//
// Extra environment (test knobs, not service settings): LEASE_MS, RECEIPT_GRACE_MS, RECLAIM_MS,
// CONCURRENCY, INSTANCE (a name for its log lines), COUNT_SQL=1 (statements sent, by their first
// words, on stderr at SIGTERM). Profile it with spawnInstance(env, ['--cpu-prof', '--cpu-prof-dir=DIR']).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface InstanceStats {
  sent: number;
  retried: number;
  failed: number;
}

export interface Instance {
  child: ChildProcess;
  ready: Promise<void>;
  port: number;
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<InstanceStats>;
  exited: Promise<number | null>;
}

/** `nodeArgs`: extra node flags for the instance, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile it. */
export function spawnInstance(env: Record<string, string>, nodeArgs: readonly string[] = []): Instance {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...env, DISPATCHER_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const inst = { child, port: 0 } as Instance;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  inst.exited = exited;
  const line = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.match(re);
        if (m) {
          child.stdout.off('data', onData);
          resolve(m);
        }
      };
      const onData = (d: Buffer) => {
        out += d.toString();
        check();
      };
      child.stdout.on('data', onData);
      check();
      void exited.then((code) => reject(new Error(`instance exited (${code}) before printing ${re}`)));
    });
  inst.ready = line(/^ready (\d+)$/m).then((m) => void (inst.port = Number(m[1])));
  inst.kill = (signal) => void child.kill(signal);
  inst.stop = async () => {
    const stats = line(/^stats (.*)$/m);
    child.kill('SIGTERM');
    const m = await stats;
    await exited;
    return JSON.parse(m[1]!) as InstanceStats;
  };
  return inst;
}

async function main(): Promise<void> {
  const { loadConfig } = await import('../../src/config.js');
  const { connect } = await import('../../src/db/connect.js');
  const { buildApp } = await import('../../src/app.js');
  const { startOutbox } = await import('../../src/outbox/run.js');
  const { createVonageSender } = await import('../../src/providers/vonage-sms/client.js');
  const { smsChannel } = await import('../../src/providers/failover.js');
  const { createOutboxSignal } = await import('../../src/outbox/signal.js');
  const { startFanOutWorker } = await import('../../src/alerts/fanout.js');
  const env = process.env;
  // COUNT_SQL=1: count the statements this instance sends, by their first words (printed to stderr on SIGTERM).
  const sqlCounts = new Map<string, number>();
  if (env.COUNT_SQL === '1') {
    const pg = (await import('pg')).default;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the client as `this`
    const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
    pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
      const q = a[0] as string | { text?: string };
      const text = (typeof q === 'string' ? q : (q?.text ?? '')).replace(/\s+/g, ' ').trim().slice(0, 60);
      sqlCounts.set(text, (sqlCounts.get(text) ?? 0) + 1);
      return query.apply(this, a);
    } as typeof pg.Client.prototype.query;
  }
  const num = (name: string, def: number) => (env[name] ? Number(env[name]) : def);
  const config = loadConfig({ ...env, ADMIN_TOKEN: env.ADMIN_TOKEN ?? 'instance-admin-token-0123456789', LOG_LEVEL: 'warn' });
  const db = connect(config.databaseUrl!, 20);
  const outboxSignal = createOutboxSignal(db);
  const app = await buildApp({ config, db, clock: () => new Date(), adminTokens: [config.adminToken!], outboxSignal });
  // Listening before dispatching: receipts for texts sent before a crash can land first.
  await app.listen({ host: '127.0.0.1', port: config.port });
  const name = env.INSTANCE ?? 'instance';
  const log = {
    info: () => {},
    warn: (obj: object, msg: string) => console.error(`[${name}] ${msg} ${JSON.stringify(obj, (k, v) => (k === 'err' ? String(v) : v))}`),
    error: (obj: object, msg: string) => console.error(`[${name}] ERROR ${msg} ${JSON.stringify(obj, (k, v) => (k === 'err' ? String(v) : v))}`),
  };
  const sms = smsChannel(createVonageSender(config.vonage!, { timeoutMs: num('SEND_TIMEOUT_MS', 10_000) }), config.batsignalNumber);
  const outbox = startOutbox(db, log, [
    {
      sender: sms,
      ratePerSecond: config.smsRatePerSecond,
      leaseMs: num('LEASE_MS', 30_000),
      receiptGraceMs: num('RECEIPT_GRACE_MS', 30_000),
      reclaimEveryMs: num('RECLAIM_MS', 5_000),
      concurrency: num('CONCURRENCY', 100),
      pollMs: num('POLL_MS', 250),
    },
  ], outboxSignal);
  // As src/workers.ts does: a broadcast beyond its first batch is written by the fan-out worker.
  const fanout = startFanOutWorker({ db, clock: () => new Date(), outboxSignal }, log);
  console.log(`ready ${(app.server.address() as { port: number }).port}`);
  const stop = async () => {
    await fanout.stop();
    await outbox.stop();
    const s = outbox.dispatchers[0]!.stats();
    if (sqlCounts.size > 0) console.error([...sqlCounts].sort((a, b) => b[1] - a[1]).map(([q, n]) => `[${name}] sql ${n} ${q}`).join('\n'));
    console.log(`stats ${JSON.stringify({ sent: s.sent, retried: s.retried, failed: s.failed })}`);
    await app.close();
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', () => {
    stop().catch((err) => {
      console.error(`[${name}] stop failed:`, err);
      process.exit(1);
    });
  });
}

if (process.env.DISPATCHER_CHILD === '1' && process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('instance failed:', err);
    process.exit(1);
  });
}
