import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';

// Placeholder: filled in by its feature.
export async function registerSimulator(_app: FastifyInstance, _deps: AppDeps): Promise<void> {}
