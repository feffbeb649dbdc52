// Twilio's webhooks: POST /webhooks/twilio/inbound (a member texts our Twilio number) and
// /webhooks/twilio/status (status callbacks). verify (X-Twilio-Signature over PUBLIC_URL + the path
// and query Twilio called) → allow-list (src/providers/twilio/webhook.ts) → the same intake and
// receipts as Vonage, through the shared edge (src/webhooks/edge.ts). Twilio retries on errors, so
// bad input gets a 4xx and only our failure a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { stringParams } from '../providers/vonage-sms/signature.js';
import { parseTwilioInbound, parseTwilioStatus, verifyTwilioSignature } from '../providers/twilio/webhook.js';
import { TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH } from '../providers/twilio/client.js';
import { cleanText } from '../providers/vonage-sms/inbound.js';
import { converse } from '../conversation/handle.js';
import { sendError } from '../http/errors.js';
import { intake, receipt, refuse } from './edge.js';

// Empty TwiML: no automatic reply (ours go through the outbox).
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function registerTwilioWebhooks(app: FastifyInstance, deps: RouteDeps): void {
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
      refuse(req, reply, what, 'invalid_request', flat.error);
      return undefined;
    }
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || !verifyTwilioSignature(twilio.authTokens, signature, publicUrl + req.url, flat.params)) {
      refuse(req, reply, what, 'invalid_signature', 'missing or invalid X-Twilio-Signature', { signed: typeof signature === 'string' });
      return undefined;
    }
    return flat.params;
  }

  const twiml = (reply: FastifyReply) => reply.code(200).type('text/xml').send(EMPTY_TWIML);

  app.post(TWILIO_INBOUND_PATH, async (req, reply) => {
    const params = verified(req, reply, 'inbound sms');
    if (!params) return metrics.inbound('invalid_signature'), reply;
    const parsed = parseTwilioInbound(params, twilio!.accountSid);
    if (!parsed.ok) {
      metrics.inbound('invalid_request');
      return refuse(req, reply, 'inbound sms', 'invalid_request', parsed.message);
    }
    const m = parsed.sms;
    const sms = { messageId: m.messageSid, msisdn: m.from, to: m.to, text: cleanText(m.body), type: 'text', concat: undefined, provider: 'twilio' };
    return intake(req, reply, deps, sms, twiml, { converse, provider: 'twilio' });
  });

  app.post(TWILIO_STATUS_PATH, async (req, reply) => {
    const params = verified(req, reply, 'delivery receipt');
    if (!params) return metrics.statusWebhook('invalid_signature'), reply;
    const ref = (req.query as Record<string, unknown> | undefined)?.ref;
    const parsed = parseTwilioStatus(params, typeof ref === 'string' ? ref : undefined, twilio!.accountSid);
    if (!parsed.ok) {
      metrics.statusWebhook('invalid_request');
      return refuse(req, reply, 'delivery receipt', 'invalid_request', parsed.message);
    }
    return receipt(req, reply, deps, parsed.receipt, twiml, { provider: 'twilio' });
  });
}
