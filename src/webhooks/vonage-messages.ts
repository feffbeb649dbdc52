// Vonage Messages API webhooks: POST /webhooks/vonage/messages/inbound and /status, JSON.
// verify (JWT: HS256 with VONAGE_SIGNATURE_SECRET, payload_hash of the raw body, iat recent, jti
// never seen, kept in PostgreSQL) → allow-list (src/providers/vonage-messages/webhook.ts) → the
// same intake and receipts as Vonage's SMS API, through the shared edge (src/webhooks/edge.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { parseMessagesInbound, parseMessagesStatus, verifyMessagesJwt } from '../providers/vonage-messages/webhook.js';
import { firstUseOfJti, forgetJti } from '../providers/vonage-messages/replay.js';
import { cleanText } from '../providers/vonage-sms/inbound.js';
import { converse } from '../conversation/handle.js';
import { acceptsUnsigned, intake, receipt, refuse } from './edge.js';

export const MESSAGES_INBOUND_PATH = '/webhooks/vonage/messages/inbound';
export const MESSAGES_STATUS_PATH = '/webhooks/vonage/messages/status';

const ACCEPTED = { status: 'accepted' } as const;

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

export function registerVonageMessagesWebhooks(app: FastifyInstance, deps: RouteDeps): void {
  const metrics = deps.metrics;
  // payload_hash is over the bytes Vonage sent: keep them (this plugin's routes only).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  /** The jti of a verified request; else the error already sent. */
  async function verified(req: FastifyRequest, reply: FastifyReply, what: string): Promise<string | undefined> {
    const secrets = deps.config.signatureSecrets;
    if (acceptsUnsigned(deps.config)) return '';
    const check = verifyMessagesJwt(req.headers.authorization, req.rawBody ?? '', secrets, deps.clock().getTime());
    if (!check.ok) {
      refuse(req, reply, what, 'invalid_signature', `missing or invalid webhook token (${check.reason})`);
      return undefined;
    }
    if (!(await firstUseOfJti(deps.db, check.jti, deps.clock()))) {
      refuse(req, reply, what, 'invalid_signature', 'webhook token already used (replayed jti)');
      return undefined;
    }
    return check.jti;
  }

  const accepted = (reply: FastifyReply) => reply.code(200).send(ACCEPTED);
  // Vonage retries after an error of ours: let the retry's token through (its jti may be the same).
  const forget = (jti: string) => async () => {
    if (jti) await forgetJti(deps.db, jti);
  };

  app.post(MESSAGES_INBOUND_PATH, async (req, reply) => {
    const jti = await verified(req, reply, 'inbound sms');
    if (jti === undefined) return metrics.inbound('invalid_signature'), reply;
    const parsed = parseMessagesInbound(req.body);
    if (!parsed.ok) {
      metrics.inbound('invalid_request');
      return refuse(req, reply, 'inbound sms', 'invalid_request', parsed.message);
    }
    const m = parsed.sms;
    const sms = { messageId: m.messageUuid, msisdn: m.from, to: m.to, text: cleanText(m.text), type: m.type === 'text' ? 'text' : m.type, concat: undefined, provider: 'vonage' };
    return intake(req, reply, deps, sms, accepted, { converse, provider: 'vonage-messages', onError: forget(jti) });
  });

  app.post(MESSAGES_STATUS_PATH, async (req, reply) => {
    const jti = await verified(req, reply, 'delivery receipt');
    if (jti === undefined) return metrics.statusWebhook('invalid_signature'), reply;
    const parsed = parseMessagesStatus(req.body);
    if (!parsed.ok) {
      metrics.statusWebhook('invalid_request');
      return refuse(req, reply, 'delivery receipt', 'invalid_request', parsed.message);
    }
    return receipt(req, reply, deps, parsed.receipt, accepted, { provider: 'vonage-messages', onError: forget(jti) });
  });
}
