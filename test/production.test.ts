// The deployable artefacts, checked statically (no Docker engine in CI; .ci/production runs the
// compiled server itself): the Dockerfile follows the production path, and CI can run it.
import t from 'tap';
import { promises as fs, constants } from 'node:fs';

t.test('Dockerfile: multi-stage build, production dependencies only, non-root, health-checked', async (t) => {
  const df = await fs.readFile('Dockerfile', 'utf8');
  const stages = [...df.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => [m[1], m[2]]);
  t.same(stages, [['node:20-slim', 'builder'], ['node:20-slim', 'runtime']], 'builder and runtime on node:20-slim');
  const [builder, runtime] = df.split(/^FROM .* AS runtime$/m);
  t.match(builder, /RUN npm ci\b/);
  t.match(builder, /RUN npm run build/);
  t.match(runtime, /RUN npm ci --omit=dev/, 'runtime installs production dependencies only');
  t.match(runtime, /COPY --from=builder \/app\/dist \.\/dist/, 'and takes the compiled app from the builder');
  t.notMatch(runtime!, /COPY (src|test|bench)\b/, 'no sources in the runtime image');
  t.match(runtime, /^USER node$/m, 'runs as the unprivileged node user');
  t.match(runtime, /HOST=0\.0\.0\.0/);
  t.match(runtime, /^EXPOSE 3000$/m);
  t.match(runtime, /HEALTHCHECK .*\n?.*fetch\('http:\/\/127\.0\.0\.1:'\+\(process\.env\.PORT\|\|3000\)\+'\/healthz'\)/, 'the health probe follows PORT');
  t.notMatch(runtime, /127\.0\.0\.1:3000\/healthz/, 'not a fixed port');
  t.match(runtime, /^CMD \["node", "dist\/src\/main\.js"\]$/m, 'exec form: node is PID 1 and gets SIGTERM');
  const ignore = (await fs.readFile('.dockerignore', 'utf8')).split('\n');
  for (const p of ['node_modules', 'dist', 'data', '.git', '.env']) t.ok(ignore.includes(p), `.dockerignore keeps ${p} out of the build context`);
});

t.test('.ci/production is executable and exercises the compiled server', async (t) => {
  await fs.access('.ci/production', constants.X_OK);
  const script = await fs.readFile('.ci/production', 'utf8');
  for (const step of [/^set -euo pipefail$/m, /npm ci\b/, /npm run build/, /npm ci --omit=dev/, /node dist\/src\/main\.js/, /\/readyz/, /webhooks\/vonage\/inbound/, /kill -TERM/, /DROP DATABASE/]) {
    t.match(script, step, `runs ${step.source}`);
  }
});
