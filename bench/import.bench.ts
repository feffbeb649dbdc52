// Member import: 5,000 rows through POST /api/members/import (new), then the same file again
// (all unchanged), then with every name changed (all updated).
import { benchDatabase, fmt } from './helpers.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/clock.js';

const TOKEN = 'bench-admin-token-123456';
const csv = (tag: string) =>
  ['name,phone,email,organisation,role']
    .concat(Array.from({ length: 5000 }, (_, i) => `Member ${i} ${tag},074001${String(i).padStart(5, '0')},m${i}@nhs.example,Trust ${i % 50},member`))
    .join('\n');

const { db, close } = await benchDatabase();
const app = await buildApp({ config: loadConfig({ ADMIN_TOKEN: TOKEN }), db, clock: systemClock, adminTokens: [TOKEN] });
for (const [label, body] of [['new', csv('a')], ['same file again', csv('a')], ['every row changed', csv('b')]] as const) {
  const t0 = performance.now();
  const r = await app.inject({ method: 'POST', url: '/api/members/import', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' }, payload: body });
  const ms = performance.now() - t0;
  const j = r.json() as { added: number; updated: number; unchanged: number; rejected: number };
  console.log(`import 5,000 members (${label}): ${fmt(ms, 0)} ms  [added ${j.added}, updated ${j.updated}, unchanged ${j.unchanged}, rejected ${j.rejected}]`);
}
await app.close();
await close();
