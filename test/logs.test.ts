// The log's safety layers on their own: request lines without query strings on every route,
// pino redaction of secret-bearing keys, and secrets in headers never reaching a line.
import t from 'tap';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { loggerOptions, pathOnly, scrubForLog, serializeError } from '../src/logging.js';
import { installErrorHandler } from '../src/http/errors.js';
import { freshDatabase } from './helpers/db.js';
import { signVonageParams } from '../src/providers/vonage-sms/signature.js';

const ADMIN_TOKEN = 'logs-admin-token-0123456789';
const SECRET = 'logs-signature-secret';

t.test('pathOnly', async (t) => {
  t.equal(pathOnly('/webhooks/vonage/inbound?msisdn=447700900001&text=hi'), '/webhooks/vonage/inbound');
  t.equal(pathOnly('/healthz'), '/healthz');
  t.equal(pathOnly('/?'), '/');
});

t.test('request lines: the path only, on every route (webhooks, admin search, 404s)', async (t) => {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ VONAGE_SIGNATURE_SECRET: SECRET, LOG_LEVEL: 'debug' });
  const lines: string[] = [];
  const app = await buildApp({ config, db, clock: () => new Date(), adminTokens: [ADMIN_TOKEN] }, loggerOptions(config, { write: (l) => void lines.push(l) }));
  t.teardown(() => app.close());

  const params = signVonageParams({ msisdn: '447700900123', to: '447700900000', messageId: 'AA00000000000001', text: 'Secret plans for ward 7', type: 'text', 'message-timestamp': '2026-11-23 10:00:00' }, SECRET, 'md5hash');
  t.equal((await app.inject({ url: '/webhooks/vonage/inbound', query: params })).statusCode, 200);
  t.equal((await app.inject({ url: '/webhooks/vonage/status', query: { ...params, status: 'delivered' } })).statusCode, 401, 'a receipt signed wrongly');
  t.equal((await app.inject({ url: '/api/members?search=07700900123', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode, 200);
  t.equal((await app.inject({ url: '/nowhere?msisdn=447700900123' })).statusCode, 404);
  t.equal((await app.inject({ method: 'POST', url: '/webhooks/discourse', headers: { 'x-discourse-event-signature': 'sha256=' + 'ab'.repeat(32), 'content-type': 'application/json' }, payload: '{}' })).statusCode, 404);
  await app.close();

  const log = lines.join('');
  const records = lines.map((l) => JSON.parse(l) as { msg?: string; req?: { url?: string } });
  t.ok(records.filter((r) => r.msg === 'incoming request').length >= 4, 'request lines are there (debug level)');
  t.same(
    [...new Set(records.filter((r) => r.req?.url).map((r) => r.req!.url))].sort(),
    ['/nowhere', '/webhooks/discourse', '/webhooks/vonage/inbound', '/webhooks/vonage/status'].sort(),
    'paths only (the members list logs its request at warn and above only)',
  );
  for (const leak of ['447700900123', '07700900123', 'Secret plans', 'Secret%20plans', 'Secret+plans', params.sig!, ADMIN_TOKEN, SECRET, 'ab'.repeat(32)]) {
    t.notOk(log.includes(leak), `no ${leak.slice(0, 14)} in the log`);
  }
});

t.test('at info a webhook is one line (its own); other routes keep the request lines', async (t) => {
  const { db } = await freshDatabase(t);
  const config = loadConfig({ VONAGE_SIGNATURE_SECRET: SECRET, LOG_LEVEL: 'info' });
  const lines: string[] = [];
  const app = await buildApp({ config, db, clock: () => new Date(), adminTokens: [ADMIN_TOKEN] }, loggerOptions(config, { write: (l) => void lines.push(l) }));
  t.teardown(() => app.close());
  const now = Math.floor(Date.now() / 1000);
  const params = signVonageParams({ msisdn: '447700900123', to: '447700900000', messageId: 'AA00000000000002', text: 'HELP', type: 'text', timestamp: String(now) }, SECRET, 'md5hash');
  t.equal((await app.inject({ method: 'POST', url: '/webhooks/vonage/inbound', payload: params })).statusCode, 200);
  t.equal((await app.inject({ url: '/webhooks/vonage/inbound', query: { ...params, sig: '0'.repeat(32) } })).statusCode, 401);
  t.equal((await app.inject({ url: '/api/alerts', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode, 200);
  await app.close();
  const records = lines.map((l) => JSON.parse(l) as { msg?: string; reqId?: string; req?: { url?: string } });
  const byRequest = new Map<string, string[]>();
  for (const r of records) if (r.reqId) byRequest.set(r.reqId, [...(byRequest.get(r.reqId) ?? []), r.msg ?? '']);
  t.same([...byRequest.values()], [['inbound sms'], ['inbound sms'], ['incoming request', 'request completed']], 'webhooks: their one line; the admin API: Fastify\'s two');
});

t.test('redaction: secret-bearing keys are censored wherever a module logs them', async (t) => {
  const out: string[] = [];
  const app = Fastify({ logger: loggerOptions({ logLevel: 'info' }, { write: (l) => void out.push(l) }) });
  t.teardown(() => app.close());
  const log = app.log;
  log.info({ headers: { authorization: 'Bearer abc', 'x-discourse-event-signature': 'sha256=ff' } }, 'headers');
  log.info({ sig: 'deadbeef', 'api-key': 'k', token: 't0k', text: 'RAISE ransomware', msisdn: '447700900123' }, 'top level');
  log.info({ params: { sig: 'deadbeef', 'api-key': 'k', text: 'RAISE ransomware', msisdn: '447700900123' }, vonage: { apiSecret: 's3cret' } }, 'one level down');
  const joined = out.join('');
  for (const leak of ['Bearer abc', 'sha256=ff', 'deadbeef', 't0k', 'ransomware', '447700900123', 's3cret']) t.notOk(joined.includes(leak), `${leak} censored`);
  t.equal(joined.match(/\[redacted\]/g)?.length, 12, 'each censored value replaced');
  t.match(JSON.parse(out[2]!), { params: { sig: '[redacted]', 'api-key': '[redacted]' }, msg: 'one level down' });
});

t.test('scrubForLog: provider error texts lose numbers and mailbox names', async (t) => {
  t.equal(scrubForLog('550 5.1.1 <jane.smith@nhs.net>: Recipient address rejected'), '550 5.1.1 <***@nhs.net>: Recipient address rejected');
  t.equal(scrubForLog('number 447700900123 barred'), 'number ***123 barred');
  t.equal(scrubForLog('+44 7700 900123 unreachable'), '***123 unreachable');
  t.equal(scrubForLog('vonage 1 throttled: Throughput Rate Exceeded - please wait [ 978 ] and retry'), 'vonage 1 throttled: Throughput Rate Exceeded - please wait [ 978 ] and retry', 'short numbers stay');
  t.equal(scrubForLog('mail server 451: try again later'), 'mail server 451: try again later');
});

t.test('errors: PostgreSQL details that quote rows never reach the log; what failed does', async (t) => {
  const { db } = await freshDatabase(t);
  const out: string[] = [];
  const app = Fastify({ logger: loggerOptions({ logLevel: 'info' }, { write: (l) => void out.push(l) }) });
  installErrorHandler(app);
  const member = { name: 'Jane Smith', phone: '+447700900123', organisation: 'Ransomware on PACS ward 7', email: null, forum_username: null };
  await db.insertInto('members').values({ ...member, role: 'member' }).execute();
  // A unique violation (DETAIL: Key (phone)=(+447700900123) already exists) and a check violation
  // (DETAIL: Failing row contains (..., Ransomware on PACS ward 7, ...)), wrapped as modules wrap them.
  app.get('/duplicate', async () => db.insertInto('members').values({ ...member, role: 'member' }).execute());
  app.get('/check', async () => {
    try {
      await db.insertInto('members').values({ ...member, phone: '+447700900124', role: 'boss' as 'member' }).execute();
    } catch (cause) {
      throw new Error('add member 447700900124', { cause });
    }
  });
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/duplicate' })).statusCode, 500);
  t.equal((await app.inject({ url: '/check' })).statusCode, 500);

  const joined = out.join('');
  for (const leak of ['447700900123', '447700900124', 'Ransomware', 'PACS', 'Failing row', 'already exists']) t.notOk(joined.includes(leak), `no ${leak} in the log`);
  const errs = out.map((l) => JSON.parse(l) as { msg?: string; err?: Record<string, unknown> }).filter((r) => r.msg === 'request failed').map((r) => r.err!);
  t.equal(errs.length, 2, 'both failures logged');
  t.match(errs[0], { type: 'DatabaseError', code: '23505', constraint: 'members_phone_key', table: 'members', message: /duplicate key/ }, 'the unique violation: code, constraint, table');
  t.match(errs[1], { type: 'Error', message: 'add member ***124', cause: { type: 'DatabaseError', code: '23514', constraint: 'members_role_check' } }, 'the wrapper, masked, and its cause');
  t.notOk('detail' in errs[0]! || 'where' in errs[0]!, 'detail and where dropped');
});

t.test('serializeError: not an Error, AggregateError, depth limit', async (t) => {
  t.same(serializeError('text 447700900123'), { type: 'string', message: 'text ***123', stack: '' });
  const agg = serializeError(new AggregateError([new Error('a'), new Error('b')], 'both'));
  t.same((agg.errors as { message: string }[]).map((e) => e.message), ['a', 'b']);
  let deep: Error = new Error('0');
  for (let i = 1; i < 10; i++) deep = new Error(String(i), { cause: deep });
  let s: Record<string, unknown> | undefined = serializeError(deep);
  let n = 0;
  while (s) [s, n] = [s.cause as Record<string, unknown> | undefined, n + 1];
  t.equal(n, 4, 'causes followed 3 deep');
});
