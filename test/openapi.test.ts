// The committed openapi.json is what the routes generate (CI keeps them in step), and /docs serves it.
import t from 'tap';
import { promises as fs } from 'node:fs';
import { generateOpenApi, OPENAPI_FILE } from '../scripts/openapi.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { freshDatabase } from './helpers/db.js';

interface Operation {
  tags?: string[];
  security?: unknown[];
  summary?: string;
  responses?: Record<string, { description?: string }>;
}
type Spec = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

t.test('openapi.json is up to date with the routes', async (t) => {
  const generated = await generateOpenApi();
  const committed = await fs.readFile(OPENAPI_FILE, 'utf8').catch(() => '(missing)');
  t.ok(committed === generated, 'openapi.json differs from what the routes generate: run `npm run openapi` and commit openapi.json');
  t.equal(await generateOpenApi(), generated, 'generation is deterministic');
});

t.test('the document: admin routes tagged and bearer-protected, webhooks and operations described, pages left out', async (t) => {
  const spec = JSON.parse(await generateOpenApi()) as Spec;
  t.match(spec.openapi, /^3\./);
  t.match(spec.components.securitySchemes, { adminToken: { type: 'http', scheme: 'bearer' } });
  const ops = Object.entries(spec.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const admin = ops.filter((o) => o.path.startsWith('/api/'));
  t.ok(admin.length >= 10, `${admin.length} admin operations`);
  for (const o of admin) {
    t.ok(o.op.tags && o.op.tags.length > 0, `${o.method} ${o.path} is tagged`);
    t.same(o.op.security, [{ adminToken: [] }], `${o.method} ${o.path} needs the admin token`);
  }
  t.ok(spec.paths['/api/alerts/{n}']?.get, 'path parameters in OpenAPI form');
  t.ok(spec.paths['/api/members']?.post, 'members API');
  t.same(spec.paths['/metrics']?.get?.security, [{ adminToken: [] }]);
  t.ok(spec.paths['/webhooks/vonage/inbound']?.post && spec.paths['/webhooks/vonage/inbound']?.get, 'the inbound webhook');
  t.notOk(spec.paths['/webhooks/vonage/inbound']?.post?.security, 'webhooks are signed, not token-protected');
  t.ok(spec.paths['/readyz']?.get);
  for (const url of ['/webhooks/vonage/inbound', '/webhooks/vonage/status', '/webhooks/discourse']) {
    t.ok(spec.paths[url]?.post?.responses?.['401'], `${url}: a bad signature's 401 is described`);
  }
  for (const o of ops) {
    for (const [code, r] of Object.entries(o.op.responses ?? {})) {
      if (code >= '400') t.not(r.description, 'Default Response', `${o.method} ${o.path} ${code} says what it means`);
    }
  }
  for (const hidden of ['/dashboard', '/docs', '/docs/json', '/assets/nhsuk-frontend.min.css']) t.notOk(spec.paths[hidden], `${hidden} not described`);
});

t.test('/docs serves the UI and /docs/json the same document', async (t) => {
  const { db } = await freshDatabase(t);
  const app = await buildApp({ config: loadConfig({}), db, clock: () => new Date(), adminTokens: ['openapi-test-token-0123'] });
  t.teardown(() => app.close());
  const ui = await app.inject({ url: '/docs' });
  t.equal(ui.statusCode, 200);
  t.match(ui.headers['content-type'], /text\/html/);
  const json = await app.inject({ url: '/docs/json' });
  t.equal(json.statusCode, 200);
  t.same(json.json(), JSON.parse(await generateOpenApi()));
});
