// Vonage SMS API inbound webhook: GET (query string), POST form and POST JSON.
// Order (as GoAlert does): flatten to strings -> verify signature -> validate fields -> pipeline.
// Vonage retries anything but 2xx for 24 hours, so bad input gets a 4xx saying what is wrong
// (never a 5xx), and only an infrastructure failure gets a 500 (then the retry is what we want).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { stringParams, verifyVonageSignature } from '../providers/vonage-sms/signature.js';
import { parseInbound } from '../providers/vonage-sms/inbound.js';
import { receiveInbound, type Converse, type PipelineDeps } from '../inbound/pipeline.js';
import { converse } from '../conversation/handle.js';
import { maskPhone } from '../directory/phone.js';
import { INTERNAL_MESSAGE, sendError } from '../http/errors.js';

export const INBOUND_PATH = '/webhooks/vonage/inbound';

// Vonage only looks at the status; the body never says whether the sender is a member.
const ACCEPTED = { status: 'accepted' } as const;

/** A field in both query and body would be read one way and signed another: refused. */
function sentTwice(query: unknown, body: unknown): string | undefined {
  if (!query || !body || typeof query !== 'object' || typeof body !== 'object') return undefined;
  return Object.keys(query).find((k) => Object.hasOwn(body, k));
}

export async function registerVonageInbound(app: FastifyInstance, deps: RouteDeps, conversation: Converse = converse): Promise<void> {
  const { metrics } = deps;
  const pipeline: PipelineDeps = { config: deps.config, db: deps.db, converse: conversation, metrics };
  const { signatureSecrets, signatureMethod } = deps.config;

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.method === 'POST' ? req.body : undefined;
    const flat = stringParams(req.query, body);
    if ('error' in flat) {
      req.log.info({ outcome: 'invalid_request', problem: flat.error }, 'inbound sms');
      metrics.inbound('invalid_request');
      return sendError(reply, 'invalid_request', flat.error);
    }
    const params = flat.params;
    const twice = sentTwice(req.query, body);
    if (twice) {
      const message = `field "${twice}" was sent both in the query string and in the body`;
      req.log.info({ outcome: 'invalid_request', problem: message }, 'inbound sms');
      metrics.inbound('invalid_request');
      return sendError(reply, 'invalid_request', message);
    }
    if (signatureSecrets.length > 0 && !verifyVonageSignature(params, signatureSecrets, signatureMethod)) {
      req.log.warn({ outcome: 'invalid_signature', signed: params.sig !== undefined }, 'inbound sms');
      metrics.inbound('invalid_signature');
      return sendError(reply, 'invalid_signature', 'missing or invalid webhook signature');
    }
    const parsed = parseInbound(params);
    if (!parsed.ok) {
      req.log.info({ outcome: 'invalid_request', problem: parsed.message }, 'inbound sms');
      metrics.inbound('invalid_request');
      return sendError(reply, 'invalid_request', parsed.message);
    }
    const sms = parsed.sms;
    const facts = {
      messageId: sms.messageId,
      from: maskPhone(sms.msisdn),
      type: sms.type,
      chars: sms.text.length,
      ...(sms.concat ? { part: `${sms.concat.part}/${sms.concat.total}` } : {}),
    };
    let result;
    try {
      result = await receiveInbound(pipeline, sms, deps.clock());
    } catch (err) {
      // Rolled back: not marked seen, so Vonage's retry will bring it again.
      req.log.error({ outcome: 'error', ...facts, err }, 'inbound sms');
      metrics.inbound('error');
      return sendError(reply, 'internal', INTERNAL_MESSAGE);
    }
    if (result.outcome !== 'duplicate') deps.outboxSignal?.touch();
    metrics.inbound(result.outcome);
    // A member over the loop cap is worth a look (an auto-responder, or someone in trouble).
    if (result.reason === 'rate_limited') req.log.warn({ ...result, ...facts }, 'inbound sms');
    else req.log.info({ ...result, ...facts }, 'inbound sms');
    return reply.code(200).send(ACCEPTED);
  };

  app.get(INBOUND_PATH, handler);
  app.post(INBOUND_PATH, handler);
}
