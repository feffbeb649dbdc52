// Writes openapi.json: the OpenAPI description generated from the route schemas (npm run openapi).
// test/openapi.test.ts fails when the committed file and the routes drift apart.
// Generated from the production shape of the app (no phone simulator), with no database needed.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { connect } from '../src/db/connect.js';

export const OPENAPI_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../openapi.json');

type Spec = { paths?: Record<string, Record<string, unknown>>; components?: Record<string, unknown> };
const byKey = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Paths, their methods and component schemas in key order: the file's diff shows what changed, not where a route was registered. */
function sorted(spec: Spec): Spec {
  const components = spec.components?.schemas ? { ...spec.components, schemas: byKey(spec.components.schemas as Record<string, unknown>) } : spec.components;
  return { ...spec, paths: byKey(Object.fromEntries(Object.entries(spec.paths ?? {}).map(([p, ops]) => [p, byKey(ops)]))), ...(components ? { components } : {}) };
}

/** The document as openapi.json holds it: sorted (above), 2-space JSON and a final newline. */
export async function generateOpenApi(): Promise<string> {
  // A pool that is never used: building the app and its routes opens no connection.
  const db = connect('postgres://openapi@127.0.0.1:1/openapi', 1);
  const app = await buildApp({ config: loadConfig({}), db, clock: () => new Date(0), adminTokens: ['openapi-generation-token'] });
  try {
    await app.ready();
    return JSON.stringify(sorted(app.swagger() as Spec), null, 2) + '\n';
  } finally {
    await app.close();
    await db.destroy();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await generateOpenApi();
  await fs.writeFile(OPENAPI_FILE, text);
  console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)} (${Object.keys((JSON.parse(text) as Spec).paths ?? {}).length} paths)`);
}
