// Member import: 5,000 rows through POST /api/members/import (new), then the same file again
// (all unchanged), then with every name changed (all updated). Five rounds on an emptied table;
// each round's report is checked, so a fast figure is never a broken import.
import { sql } from 'kysely';
import { benchDatabase, fmt, percentile } from './helpers.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/clock.js';

const TOKEN = 'bench-admin-token-123456';
const ROWS = 5000;
const ROUNDS = 5;
const csv = (tag: string) =>
  ['name,phone,email,organisation,role']
    .concat(Array.from({ length: ROWS }, (_, i) => `Member ${i} ${tag},074001${String(i).padStart(5, '0')},m${i}@nhs.example,Trust ${i % 50},member`))
    .join('\n');

const { db, close } = await benchDatabase();
const app = await buildApp({ config: loadConfig({ ADMIN_TOKEN: TOKEN }), db, clock: systemClock, adminTokens: [TOKEN] });
const runs = [
  { label: 'new', body: csv('a'), expect: 'added' },
  { label: 'same file again', body: csv('a'), expect: 'unchanged' },
  { label: 'every row changed', body: csv('b'), expect: 'updated' },
] as const;
const times: Record<string, number[]> = {};

for (let round = 0; round < ROUNDS; round++) {
  await sql`TRUNCATE members CASCADE`.execute(db);
  for (const { label, body, expect } of runs) {
    const t0 = performance.now();
    const r = await app.inject({ method: 'POST', url: '/api/members/import', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' }, payload: body });
    const ms = performance.now() - t0;
    const report = r.json<Record<string, number>>();
    if (r.statusCode !== 200 || report[expect] !== ROWS) throw new Error(`import (${label}) went wrong: ${r.statusCode} ${r.body.slice(0, 200)}`);
    (times[label] ??= []).push(ms);
  }
}
for (const { label, expect } of runs) {
  const sorted = times[label]!.sort((a, b) => a - b);
  console.log(`import ${fmt(ROWS)} members (${label}, all ${expect}): ${fmt(percentile(sorted, 50), 0)} ms (median of ${ROUNDS}, max ${fmt(sorted.at(-1)!, 0)} ms)`);
}
await app.close();
await close();
