// Structured JSON logs (Fastify's pino) that a log platform may keep: no secrets, no full phone
// numbers, no message texts at info level. Three layers:
//  - the request serializer logs the path only: Fastify logs req.url by default, and a GET inbound
//    webhook carries msisdn, text and sig in its query string (so does ?search= on /api/members);
//  - pino redaction censors secret-bearing keys wherever a module logs an object carrying them;
//  - the error serializer keeps an allow-list of an error's fields: PostgreSQL's `detail` ("Key
//    (phone)=(+447700900123) already exists", "Failing row contains (... alert text ...)") never
//    reaches a line, and numbers in messages and stacks keep their last 3 digits;
//  - modules log facts, masked: maskPhone (src/directory/phone.ts) and lengths, never bodies.
import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

// Keys whose values are secrets, or texts and numbers members sent, wherever they appear (top level
// or one object down). Headers are listed for any module that logs a request's headers itself.
const SENSITIVE_KEYS = ['authorization', 'sig', '"api-key"', 'apiKey', 'apiSecret', 'api_secret', 'secret', 'token', 'password', 'msisdn', 'text'];
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-discourse-event-signature"]',
  'req.headers["api-key"]',
  'req.query',
  'req.body',
  'headers.authorization',
  'headers["x-discourse-event-signature"]',
  ...SENSITIVE_KEYS.flatMap((k) => [k.startsWith('"') ? `[${k}]` : k, k.startsWith('"') ? `*[${k}]` : `*.${k}`]),
];

/** The path of a URL, without its query string. */
export const pathOnly = (url: string): string => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/** Fastify's default request serializer, minus the query string. */
export function serializeRequest(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: pathOnly(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** pino options for the server; tests pass a stream to read what would be logged. */
export function loggerOptions(config: Pick<Config, 'logLevel'>, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest, err: (e: Error) => serializeError(e) },
    ...(stream ? { stream } : {}),
  };
}

/**
 * For provider error texts that go into a log line: a mail server's refusal may quote the address,
 * a carrier's the number. Runs of 9+ digits keep their last 3; addresses keep their domain.
 */
export function scrubForLog(text: string): string {
  return text
    .replace(/\+?\d[\d ]{7,}\d/g, (m) => `***${m.replace(/\D/g, '').slice(-3)}`)
    .replace(/[^\s<>"'@]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g, '***@$1');
}

// Fields of an error that say what failed without quoting data: Node's system errors, HTTP errors,
// and PostgreSQL's (pg DatabaseError) minus detail, where, hint and internalQuery, which quote rows.
const ERROR_FIELDS = ['code', 'statusCode', 'status', 'errno', 'syscall', 'port', 'severity', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine'];

type SerializedError = { type: string; message: string; stack: string; [field: string]: unknown };

/** pino's err serializer, allow-listed and scrubbed (see above); follows `cause` and AggregateError. */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { type: typeof err, message: scrubForLog(String(err)), stack: '' };
  const e = err as Error & Record<string, unknown>;
  const out: SerializedError = { type: e.constructor?.name ?? e.name, message: scrubForLog(e.message), stack: scrubForLog(e.stack ?? '') };
  for (const k of ERROR_FIELDS) {
    const v = e[k];
    if (typeof v === 'string') out[k] = scrubForLog(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  if (depth < 3 && e.cause !== undefined) out.cause = serializeError(e.cause, depth + 1);
  if (depth < 3 && Array.isArray(e.errors)) out.errors = e.errors.slice(0, 10).map((x: unknown) => serializeError(x, depth + 1));
  return out;
}
