import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/** pino options: JSON lines; secrets never logged. */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-discourse-event-signature"]', 'req.query.sig', 'req.query["api-key"]'],
      censor: '[redacted]',
    },
  };
}
