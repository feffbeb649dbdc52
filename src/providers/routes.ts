// Admin API for SMS providers: GET /api/providers (each configured provider's shared state, in
// order of preference) and POST /api/providers/:name { enabled, reason? } (the manual switch).
// State lives in sms_providers; every instance's failover reads it within a second. An admin API,
// not a webhook: an edge module in the providers' folder (.dependency-cruiser.cjs ROUTES).
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { sendError } from '../http/errors.js';
import { ensureProviders, readProviders, setEnabled } from './health.js';

export async function registerProviderRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const names = deps.config.smsProviders;
  const rates = deps.config.providerRates;
  const numbers: Record<string, string> = { vonage: deps.config.batsignalNumber, ...(deps.config.twilio ? { twilio: deps.config.twilio.number } : {}) };
  app.addHook('preHandler', requireAdmin(deps));

  app.get('/api/providers', { schema: { tags: ['providers'], summary: 'Each SMS provider: switched on, up or taken out, its number and rate' } }, async () => {
    await ensureProviders(deps.db, names);
    const rows = new Map((await readProviders(deps.db, names)).map((r) => [r.name, r]));
    let preferred: string | undefined;
    const providers = names.map((name) => {
      const s = rows.get(name)!;
      if (!preferred && s.enabled && s.state === 'up') preferred = name;
      return {
        name, number: numbers[name], api: name === 'vonage' ? (deps.config.vonageMessages ? 'messages' : 'sms') : 'twilio', ratePerSecond: rates[name],
        enabled: s.enabled, disabledReason: s.disabledReason, state: s.state, downSince: s.downSince, probeAt: s.probeAt,
        lastError: s.lastError, lastFailureAt: s.lastFailureAt, lastSuccessAt: s.lastSuccessAt,
      };
    });
    return { providers: providers.map((p) => ({ ...p, preferred: p.name === preferred })) };
  });

  app.post<{ Params: { name: string }; Body: { enabled?: unknown; reason?: unknown } }>(
    '/api/providers/:name',
    { schema: { tags: ['providers'], summary: 'Switch an SMS provider off (texts go to the next) or back on' } },
    async (req, reply) => {
      const { name } = req.params;
      if (!(names as readonly string[]).includes(name)) return sendError(reply, 'not_found', `no SMS provider "${name.slice(0, 30)}" is configured`);
      const enabled = req.body?.enabled;
      const reason = req.body?.reason;
      if (typeof enabled !== 'boolean') return sendError(reply, 'invalid_request', 'enabled must be true or false');
      if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200)) return sendError(reply, 'invalid_request', 'reason must be text of at most 200 characters');
      await ensureProviders(deps.db, names);
      await setEnabled(deps.db, name, enabled, reason ?? null, deps.clock());
      req.log.warn({ provider: name, enabled, reason }, enabled ? 'SMS provider switched on by an admin' : 'SMS provider switched off by an admin');
      return { name, enabled };
    },
  );
}
