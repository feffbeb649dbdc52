// Vonage delivery receipts: GET (query string), POST form or POST JSON, signed like inbound texts.
// Order: flatten to strings -> verify signature -> validate fields -> apply. Vonage retries anything
// but 2xx for 72 hours: bad input gets a 4xx saying what is wrong, a receipt for an id we do not
// know gets 200 (logged: retrying would not help), and only a database failure gets a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { stringParams, verifyVonageSignature, type WebhookParams } from './signature.js';
import { applyReceipt, type Receipt } from '../outbox/receipts.js';
import { isReceiptStatus, receiptError } from '../channels/sms/status-map.js';
import { maskPhone } from '../directory/phone.js';

export const STATUS_PATH = '/webhooks/vonage/status';

const ACCEPTED = { status: 'accepted' } as const;

function sentTwice(query: unknown, body: unknown): string | undefined {
  if (!query || !body || typeof query !== 'object' || typeof body !== 'object') return undefined;
  return Object.keys(query).find((k) => Object.hasOwn(body, k));
}

/** The receipt's fields we act on, or what is wrong with them. */
export function parseReceipt(p: WebhookParams): { ok: true; receipt: Receipt } | { ok: false; message: string } {
  const status = p.status?.trim().toLowerCase();
  if (!status) return { ok: false, message: 'status is missing' };
  if (!isReceiptStatus(status)) return { ok: false, message: `status "${status.slice(0, 20)}" is not a Vonage receipt status` };
  const messageId = p.messageId ?? p['message-id'];
  if (messageId !== undefined && !/^[0-9A-Za-z-]{1,64}$/.test(messageId)) return { ok: false, message: 'messageId is malformed' };
  const clientRef = p['client-ref'];
  if (clientRef !== undefined && clientRef.length > 40) return { ok: false, message: 'client-ref is longer than 40 characters' };
  if (messageId === undefined && clientRef === undefined) return { ok: false, message: 'messageId or client-ref is required' };
  const errCode = p['err-code'];
  if (errCode !== undefined && !/^\d{1,4}$/.test(errCode)) return { ok: false, message: 'err-code must be a number' };
  const msisdn = p.msisdn;
  if (msisdn !== undefined && !/^\d{6,15}$/.test(msisdn)) return { ok: false, message: 'msisdn must be an international number' };
  return {
    ok: true,
    receipt: { clientRef, messageId, msisdn, status, error: status === 'delivered' ? null : receiptError(errCode) ?? (status === 'accepted' || status === 'buffered' ? null : status) },
  };
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
      req.log.info({ outcome: 'bad_request', problem }, 'delivery receipt');
      metrics.statusWebhook('bad_request');
      return reply.code(400).send({ error: 'bad_request', message: problem });
    }
    const params = flat.params;
    if (signatureSecrets.length > 0 && !verifyVonageSignature(params, signatureSecrets, signatureMethod)) {
      req.log.warn({ outcome: 'bad_signature', signed: params.sig !== undefined }, 'delivery receipt');
      metrics.statusWebhook('bad_signature');
      return reply.code(401).send({ error: 'bad_signature', message: 'missing or invalid webhook signature' });
    }
    const parsed = parseReceipt(params);
    if (!parsed.ok) {
      req.log.info({ outcome: 'bad_request', problem: parsed.message }, 'delivery receipt');
      metrics.statusWebhook('bad_request');
      return reply.code(400).send({ error: 'bad_request', message: parsed.message });
    }
    const r = parsed.receipt;
    const facts = { clientRef: r.clientRef, messageId: r.messageId, to: r.msisdn ? maskPhone(r.msisdn) : undefined, status: r.status, error: r.error };
    let result;
    try {
      result = await applyReceipt(deps.db, r, deps.clock());
    } catch (err) {
      req.log.error({ outcome: 'error', ...facts, err }, 'delivery receipt');
      metrics.statusWebhook('error');
      return reply.code(500).send({ error: 'internal', message: 'Something went wrong; it has been logged.' });
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
