// Vonage SMS API delivery receipts: GET (query string), POST form or POST JSON, signed like inbound
// texts and checked by the same edge (src/webhooks/edge.ts), then the receipt allow-list
// (src/providers/vonage-sms/receipt.ts), then the outbox. A receipt for an id we do not know gets
// 200 (logged and counted: retrying would not help).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { parseReceipt } from '../providers/vonage-sms/receipt.js';
import { receipt, refuse, vonageSmsParams } from './edge.js';

export const STATUS_PATH = '/webhooks/vonage/status';

const ACCEPTED = { status: 'accepted' } as const;
const accepted = (reply: FastifyReply) => reply.code(200).send(ACCEPTED);

export function registerVonageStatus(app: FastifyInstance, deps: RouteDeps): void {
  const { metrics } = deps;
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const checked = vonageSmsParams(req, deps.config, deps.clock());
    if (!checked.ok) {
      metrics.statusWebhook(checked.code);
      return refuse(req, reply, 'delivery receipt', checked.code, checked.message);
    }
    const parsed = parseReceipt(checked.params);
    if (!parsed.ok) {
      metrics.statusWebhook('invalid_request');
      return refuse(req, reply, 'delivery receipt', 'invalid_request', parsed.message);
    }
    return receipt(req, reply, deps, parsed.receipt, accepted);
  };
  app.get(STATUS_PATH, handler);
  app.post(STATUS_PATH, handler);
}
