// Vonage SMS API inbound webhook: GET (query string), POST form and POST JSON. The checks are the
// shared Vonage edge's (src/webhooks/edge.ts: flatten -> repeated keys -> signature -> replay
// window), then the inbound allow-list (src/providers/vonage-sms/inbound.ts), then the pipeline.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { parseInbound } from '../providers/vonage-sms/inbound.js';
import type { Converse } from '../inbound/pipeline.js';
import { converse } from '../conversation/handle.js';
import { intake, refuse, vonageSmsParams } from './edge.js';

export const INBOUND_PATH = '/webhooks/vonage/inbound';

// Vonage only looks at the status; the body never says whether the sender is a member.
const ACCEPTED = { status: 'accepted' } as const;
const accepted = (reply: FastifyReply) => reply.code(200).send(ACCEPTED);

export function registerVonageInbound(app: FastifyInstance, deps: RouteDeps, conversation: Converse = converse): void {
  const { metrics } = deps;
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const checked = vonageSmsParams(req, deps.config, deps.clock());
    if (!checked.ok) {
      metrics.inbound(checked.code);
      return refuse(req, reply, 'inbound sms', checked.code, checked.message);
    }
    const parsed = parseInbound(checked.params);
    if (!parsed.ok) {
      metrics.inbound('invalid_request');
      return refuse(req, reply, 'inbound sms', 'invalid_request', parsed.message);
    }
    return intake(req, reply, deps, parsed.sms, accepted, { converse: conversation });
  };
  app.get(INBOUND_PATH, handler);
  app.post(INBOUND_PATH, handler);
}
