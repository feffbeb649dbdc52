// Background work that runs beside the HTTP app: the outbox dispatcher and the sweepers.
import type { AppDeps } from './app.js';
import type { FastifyBaseLogger } from 'fastify';

export interface Workers {
  stop(): Promise<void>;
}

// Placeholder: the dispatcher and sweepers are registered by their features.
export function startWorkers(_deps: AppDeps, _log: FastifyBaseLogger): Workers {
  return { stop: async () => {} };
}
