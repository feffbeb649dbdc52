// One error vocabulary: every refusal of every route and webhook is { error, message } with a code
// from src/http/errors.ts, sent with that code's status; docs/errors.md lists every code.
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { promises as fs } from 'node:fs';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ERROR_CODES, type ErrorCode } from '../src/http/errors.js';
import { discourseSignature } from '../src/webhooks/discourse.js';
import { freshDatabase } from './helpers/db.js';

const TOKEN = 'test-admin-token-123456';
const DISCOURSE_SECRET = 'discourse-secret-for-tests';
const admin = { authorization: `Bearer ${TOKEN}` };

t.test('each refusal carries its code from the vocabulary, with the code\'s status', async (t) => {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ ADMIN_TOKEN: TOKEN, VONAGE_SIGNATURE_SECRET: 'vonage-secret-for-tests', DISCOURSE_WEBHOOK_SECRET: DISCOURSE_SECRET });
  const app = await buildApp({ config, db, clock: () => new Date('2026-11-23T10:00:00Z'), adminTokens: [TOKEN] });
  t.teardown(() => app.close());
  const json = { ...admin, 'content-type': 'application/json' };
  const jane = { name: 'Jane Smith', phone: '07700 900123', organisation: 'Northtown Trust' };
  t.equal((await app.inject({ method: 'POST', url: '/api/members', headers: json, payload: jane })).statusCode, 201);
  const notJson = 'not json';

  const cases: [string, InjectOptions, ErrorCode][] = [
    ['unknown route', { url: '/nowhere' }, 'not_found'],
    ['admin route without a token', { url: '/api/alerts' }, 'unauthorized'],
    ['metrics without a token', { url: '/metrics' }, 'unauthorized'],
    ['malformed alert number', { url: '/api/alerts/abc', headers: admin }, 'invalid_request'],
    ['unknown alert', { url: '/api/alerts/99', headers: admin }, 'not_found'],
    ['broken JSON', { method: 'POST', url: '/api/members', headers: json, payload: '{"name": ' }, 'invalid_json_body'],
    ['a body as text/plain', { method: 'POST', url: '/api/members', headers: { ...admin, 'content-type': 'text/plain' }, payload: 'x' }, 'unsupported_media_type'],
    ['an unknown field', { method: 'POST', url: '/api/members', headers: json, payload: { ...jane, shoeSize: 9 } }, 'invalid_request'],
    ['a phone number that is not one', { method: 'POST', url: '/api/members', headers: json, payload: { ...jane, phone: '12' } }, 'invalid_phone'],
    ['a phone number already taken', { method: 'POST', url: '/api/members', headers: json, payload: { ...jane, name: 'Other' } }, 'phone_taken'],
    ['an import over 5 MB', { method: 'POST', url: '/api/members/import', headers: { ...admin, 'content-type': 'text/csv' }, payload: 'x'.repeat(6 * 1024 * 1024) }, 'body_too_large'],
    ['an unsigned Vonage inbound text', { method: 'POST', url: '/webhooks/vonage/inbound', payload: { msisdn: '447700900123', to: '447700900000', messageId: 'abc', text: 'hi' } }, 'invalid_signature'],
    ['a repeated Vonage field', { method: 'GET', url: '/webhooks/vonage/inbound?text=a&text=b' }, 'invalid_request'],
    ['an unsigned Vonage receipt', { method: 'POST', url: '/webhooks/vonage/status', payload: { messageId: 'abc', status: 'delivered' } }, 'invalid_signature'],
    ['a Discourse delivery with a wrong signature', { method: 'POST', url: '/webhooks/discourse', headers: { 'content-type': 'application/json', 'x-discourse-event-signature': 'sha256=00' }, payload: '{}' }, 'invalid_signature'],
    ['a signed Discourse delivery that is not JSON', { method: 'POST', url: '/webhooks/discourse', headers: { 'content-type': 'application/json', 'x-discourse-event': 'topic_created', 'x-discourse-event-signature': discourseSignature(DISCOURSE_SECRET, notJson) }, payload: notJson }, 'invalid_json_body'],
  ];
  for (const [name, request, code] of cases) {
    const res = await app.inject(request);
    t.equal(res.statusCode, ERROR_CODES[code].status, `${name}: ${ERROR_CODES[code].status}`);
    const body = res.json<Record<string, unknown>>();
    t.same(Object.keys(body).sort(), ['error', 'message'], `${name}: { error, message }`);
    t.equal(body.error, code, `${name}: ${code}`);
    t.ok(typeof body.message === 'string' && body.message.length > 0, `${name}: says why`);
  }
});

t.test('docs/errors.md lists every code with its status, and no other', async (t) => {
  const doc = await fs.readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const listed = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
  t.same([...listed.keys()].sort(), Object.keys(ERROR_CODES).sort(), 'the same codes');
  for (const [code, { status }] of Object.entries(ERROR_CODES)) t.equal(listed.get(code), status, `${code}: ${status}`);
});
