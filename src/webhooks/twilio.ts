// Twilio's webhooks: POST /webhooks/twilio/inbound (a member texts our Twilio number) and
// /webhooks/twilio/status (status callbacks). verify (X-Twilio-Signature over PUBLIC_URL + the path
// and query Twilio called) → allow-list (src/providers/twilio/webhook.ts) → the same intake and
// receipts as Vonage. Twilio retries on errors, so bad input gets a 4xx and only our failure a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { stringParams } from '../providers/vonage-sms/signature.js';
import { parseTwilioInbound, parseTwilioStatus, verifyTwilioSignature } from '../providers/twilio/webhook.js';
import { TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH } from '../providers/twilio/client.js';
import { cleanText } from '../providers/vonage-sms/inbound.js';
import { receiveInbound } from '../inbound/pipeline.js';
import { converse } from '../conversation/handle.js';
import { applyReceipt } from '../outbox/receipts.js';
import { maskPhone } from '../directory/phone.js';
import { INTERNAL_MESSAGE, sendError } from '../http/errors.js';

// Empty TwiML: no automatic reply (ours go through the outbox).
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export async function registerTwilioWebhooks(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const twilio = deps.config.twilio;
  const publicUrl = deps.config.publicUrl;
  const metrics = deps.metrics;

  /** The form fields, once each, signed by Twilio over the URL it called; else the error already sent. */
  function verified(req: FastifyRequest, reply: FastifyReply, what: string): Record<string, string> | undefined {
    if (!twilio || !publicUrl) {
      sendError(reply, 'invalid_signature', 'Twilio is not configured here');
      return undefined;
    }
    const flat = stringParams(req.body);
    if ('error' in flat) {
      req.log.info({ outcome: 'invalid_request', problem: flat.error }, what);
      sendError(reply, 'invalid_request', flat.error);
      return undefined;
    }
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || !verifyTwilioSignature(twilio.authTokens, signature, publicUrl + req.url, flat.params)) {
      req.log.warn({ outcome: 'invalid_signature', signed: typeof signature === 'string' }, what);
      sendError(reply, 'invalid_signature', 'missing or invalid X-Twilio-Signature');
      return undefined;
    }
    return flat.params;
  }

  app.post(TWILIO_INBOUND_PATH, async (req, reply) => {
    const params = verified(req, reply, 'inbound sms');
    if (!params) return metrics.inbound('invalid_signature'), reply;
    const parsed = parseTwilioInbound(params, twilio!.accountSid);
    if (!parsed.ok) {
      metrics.inbound('invalid_request');
      return sendError(reply, 'invalid_request', parsed.message);
    }
    const m = parsed.sms;
    const sms = { messageId: m.messageSid, msisdn: m.from, to: m.to, text: cleanText(m.body), type: 'text', concat: undefined, provider: 'twilio' };
    const facts = { messageId: sms.messageId, from: maskPhone(sms.msisdn), chars: sms.text.length, provider: 'twilio' };
    let result;
    try {
      result = await receiveInbound({ config: deps.config, db: deps.db, converse, metrics }, sms, deps.clock());
    } catch (err) {
      req.log.error({ outcome: 'error', ...facts, err }, 'inbound sms');
      metrics.inbound('error');
      return sendError(reply, 'internal', INTERNAL_MESSAGE);
    }
    if (result.outcome !== 'duplicate') deps.outboxSignal?.touch();
    metrics.inbound(result.outcome);
    req.log.info({ ...result, ...facts }, 'inbound sms');
    return reply.code(200).type('text/xml').send(EMPTY_TWIML);
  });

  app.post(TWILIO_STATUS_PATH, async (req, reply) => {
    const params = verified(req, reply, 'delivery receipt');
    if (!params) return metrics.statusWebhook('invalid_signature'), reply;
    const ref = (req.query as Record<string, unknown> | undefined)?.ref;
    const parsed = parseTwilioStatus(params, typeof ref === 'string' ? ref : undefined, twilio!.accountSid);
    if (!parsed.ok) {
      metrics.statusWebhook('invalid_request');
      return sendError(reply, 'invalid_request', parsed.message);
    }
    const r = parsed.receipt;
    let result;
    try {
      result = await applyReceipt(deps.db, r, deps.clock());
    } catch (err) {
      req.log.error({ outcome: 'error', messageId: r.messageId, err }, 'delivery receipt');
      metrics.statusWebhook('error');
      return sendError(reply, 'internal', INTERNAL_MESSAGE);
    }
    const outcome = !result.matched ? 'unknown_message' : result.applied ? 'recorded' : 'superseded';
    metrics.statusWebhook(outcome, r.status);
    req.log.info({ outcome, clientRef: r.clientRef, messageId: r.messageId, status: r.status, error: r.error, provider: 'twilio' }, 'delivery receipt');
    return reply.code(200).type('text/xml').send(EMPTY_TWIML);
  });
}
