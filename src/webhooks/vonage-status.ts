// Vonage delivery receipts: GET (query string), POST form or POST JSON, signed like inbound texts.
// Order: flatten to strings -> verify signature -> validate fields -> apply. Vonage retries anything
// but 2xx for 72 hours: bad input gets a 4xx saying what is wrong, a receipt for an id we do not
// know gets 200 (logged: retrying would not help), and only a database failure gets a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { stringParams, verifyVonageSignature } from '../providers/vonage-sms/signature.js';
import { parseReceipt } from '../providers/vonage-sms/receipt.js';
import { applyReceipt } from '../outbox/receipts.js';
import { maskPhone } from '../directory/phone.js';
import { INTERNAL_MESSAGE, sendError } from '../http/errors.js';

export const STATUS_PATH = '/webhooks/vonage/status';

const ACCEPTED = { status: 'accepted' } as const;

function sentTwice(query: unknown, body: unknown): string | undefined {
  if (!query || !body || typeof query !== 'object' || typeof body !== 'object') return undefined;
  return Object.keys(query).find((k) => Object.hasOwn(body, k));
}

export async function registerVonageStatus(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { signatureSecrets, signatureMethod } = deps.config;
  const { metrics } = deps;

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.method === 'POST' ? req.body : undefined;
    const flat = stringParams(req.query, body);
    const twice = 'params' in flat ? sentTwice(req.query, body) : undefined;
    const problem = 'error' in flat ? flat.error : twice ? `field "${twice}" was sent both in the query string and in the body` : undefined;
    if (problem || !('params' in flat)) {
      req.log.info({ outcome: 'invalid_request', problem }, 'delivery receipt');
      metrics.statusWebhook('invalid_request');
      return sendError(reply, 'invalid_request', problem ?? 'malformed receipt');
    }
    const params = flat.params;
    if (signatureSecrets.length > 0 && !verifyVonageSignature(params, signatureSecrets, signatureMethod)) {
      req.log.warn({ outcome: 'invalid_signature', signed: params.sig !== undefined }, 'delivery receipt');
      metrics.statusWebhook('invalid_signature');
      return sendError(reply, 'invalid_signature', 'missing or invalid webhook signature');
    }
    const parsed = parseReceipt(params);
    if (!parsed.ok) {
      req.log.info({ outcome: 'invalid_request', problem: parsed.message }, 'delivery receipt');
      metrics.statusWebhook('invalid_request');
      return sendError(reply, 'invalid_request', parsed.message);
    }
    const r = parsed.receipt;
    const facts = { clientRef: r.clientRef, messageId: r.messageId, to: r.msisdn ? maskPhone(r.msisdn) : undefined, status: r.status, error: r.error };
    let result;
    try {
      result = await applyReceipt(deps.db, r, deps.clock());
    } catch (err) {
      req.log.error({ outcome: 'error', ...facts, err }, 'delivery receipt');
      metrics.statusWebhook('error');
      return sendError(reply, 'internal', INTERNAL_MESSAGE);
    }
    const outcome = !result.matched ? 'unknown_message' : result.applied ? 'recorded' : 'superseded';
    metrics.statusWebhook(outcome, r.status);
    if (!result.matched) req.log.warn({ outcome, ...facts }, 'delivery receipt');
    else req.log.info({ outcome, outboxId: result.outboxId, ...facts }, 'delivery receipt');
    return reply.code(200).send(ACCEPTED);
  };

  app.get(STATUS_PATH, handler);
  app.post(STATUS_PATH, handler);
}
