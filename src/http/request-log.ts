// Which requests get Fastify's own two lines ("incoming request", "request completed"). A webhook
// already logs one line of its own that says what happened (src/webhooks/edge.ts: 'inbound sms',
// 'delivery receipt', with outcome, masked sender and messageId), so at info it gets only that:
// three lines a webhook were two pino serialisations (with redaction) too many on the hot path
// (issue 16: one line per webhook). At debug every request keeps both lines, webhooks included.
// Every other route keeps them at info, as before.
import { LogController, type FastifyRequest } from 'fastify';

const WEBHOOKS = '/webhooks/';

interface LoggedRequest {
  routeOptions?: { url?: string | undefined };
  log?: { isLevelEnabled?(level: string): boolean };
}

/** True for a matched webhook route when the request's logger is above debug. */
export function quietRequestLine(req: LoggedRequest): boolean {
  const route = req.routeOptions?.url;
  if (route === undefined || !route.startsWith(WEBHOOKS)) return false;
  return !(req.log?.isLevelEnabled?.('debug') ?? false);
}

export function requestLogController(): LogController {
  return new LogController({ disableRequestLogging: (req: FastifyRequest) => quietRequestLine(req as unknown as LoggedRequest) });
}
