// The one error vocabulary of every route and webhook: the codes a client can see in `error`, the
// status each is sent with, and the schema of the body ({ error, message }). Clients, tests and
// dashboards match on these codes, so they are stable: add one here before using it anywhere.
import type { FastifyError, FastifyInstance, FastifyReply, onRequestHookHandler } from 'fastify';

export const ERROR_CODES = {
  // The request itself
  invalid_request: { status: 400, meaning: 'A field, parameter or the body is not what the route accepts; the message names it.' },
  invalid_json_body: { status: 400, meaning: 'The body is not valid JSON.' },
  empty_json_body: { status: 400, meaning: 'Content-Type is application/json but the body is empty.' },
  invalid_content_length: { status: 400, meaning: 'Content-Length does not match the body.' },
  invalid_csv: { status: 400, meaning: 'The member file cannot be read as CSV; the message says where.' },
  invalid_phone: { status: 400, meaning: 'Not a mobile number we can text.' },
  invalid_email: { status: 400, meaning: 'Not an email address.' },
  refused: { status: 400, meaning: 'A dashboard raise or follow-up the text conversation would refuse (threshold not met, description too short or long); the message is the reply a text would get.' },
  not_an_admin: { status: 400, meaning: 'The member named to act from the dashboard is not an admin.' },
  too_many_phones: { status: 400, meaning: 'The simulator was asked for more phones than one poll serves.' },
  invalid_advisory: { status: 400, meaning: 'An advisory request with a missing or wrong field, an empty target or an unknown type; the message lists every problem.' },
  unknown_organisation: { status: 400, meaning: 'An ODS code (an advisory target, a member) is not in the organisation directory; the message names it.' },
  no_organisations: { status: 400, meaning: 'No organisation matches the advisory\'s target: it would reach nobody.' },
  body_too_large: { status: 413, meaning: 'The body is over the route\'s limit.' },
  unsupported_media_type: { status: 415, meaning: 'The body\'s Content-Type is not one the route reads.' },
  unsupported_charset: { status: 415, meaning: 'The member file names a charset we cannot decode.' },
  // Who is asking
  unauthorized: { status: 401, meaning: 'No bearer token, or not an accepted one (admin API, /metrics).' },
  invalid_signature: { status: 401, meaning: 'A webhook whose provider signature is missing or does not match (Vonage, Twilio, Discourse).' },
  stale_request: { status: 401, meaning: 'A signed webhook outside its replay window: a Vonage timestamp over 25 hours old or minutes in the future, a Discourse topic created over an hour ago.' },
  // What it is about
  not_found: { status: 404, meaning: 'No such route, alert, member or organisation.' },
  not_configured: { status: 404, meaning: 'The feature behind this route is not configured on this server.' },
  conflict: { status: 409, meaning: 'The data changed underneath the request; nothing was saved, try again.' },
  phone_taken: { status: 409, meaning: 'Another member already has this phone number.' },
  forum_username_taken: { status: 409, meaning: 'Another member already has this forum username.' },
  opted_out: { status: 409, meaning: 'The member has opted out of texts (STOP): the welcome text was not sent.' },
  ods_code_taken: { status: 409, meaning: 'An organisation with this ODS code is already in the directory.' },
  organisation_in_use: { status: 409, meaning: 'The organisation is still referred to (members, child or supported organisations).' },
  too_many_raises: { status: 429, meaning: 'The admin has raised the most alerts allowed in an hour (MAX_RAISES_PER_HOUR).' },
  // Ours
  internal: { status: 500, meaning: 'Something failed on our side; it has been logged (the body never says what).' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error response. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

/** The error body's JSON schema, for every route's 4xx/5xx responses and the OpenAPI document. */
export const errorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Stable error code, e.g. not_found, unauthorized, invalid_request.' },
    message: { type: 'string', description: 'What went wrong, in plain words.' },
  },
} as const;

/** A failure the client caused and can fix: sent with its code's status and a plain message. */
export class HttpError extends Error {
  readonly statusCode: number;
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = ERROR_CODES[code].status;
  }
}

export const notFound = (what: string) => new HttpError('not_found', `${what} not found`);

/** Answers with an error from the vocabulary (for edges that answer directly rather than throw). */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(ERROR_CODES[code].status).send({ error: code, message } satisfies ErrorBody);
}

export const INTERNAL_MESSAGE = 'Something went wrong; it has been logged.';

/** Fastify's own 4xx errors (body parsing), named in our vocabulary. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_json_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json_body',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
};

/** One place that turns errors into responses: 4xx say what to fix, 5xx never carry internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.code, err.message);
    if (err.validation) return sendError(reply, 'invalid_request', err.message);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = FASTIFY_CODES[err.code] ?? 'invalid_request';
      return reply.code(status).send({ error: code, message: err.message } satisfies ErrorBody);
    }
    req.log.error({ err }, 'request failed');
    return sendError(reply, 'internal', INTERNAL_MESSAGE);
  });
  app.setNotFoundHandler((req, reply) => {
    sendError(reply, 'not_found', `No route for ${req.method} ${req.url.split('?')[0]}`);
  });
}

/** onRequest: refuse a body of the wrong Content-Type before it is read (415 that names the type, not a parse error). */
export function requireContentType(types: readonly string[]): onRequestHookHandler {
  return (req, _reply, done) => {
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!types.includes(ct)) return done(new HttpError('unsupported_media_type', `Send the body as ${types[0]} (Content-Type: ${types[0]}).`));
    done();
  };
}
