// Admin API for SMS providers: GET /api/providers (each configured provider's shared state, in
// order of preference) and POST /api/providers/:name { enabled, reason? } (the manual switch).
// State lives in sms_providers; every instance's failover reads it within a second. An admin API,
// not a webhook: an edge module in the providers' folder (.dependency-cruiser.cjs ROUTES).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { errorSchema, sendError } from '../http/errors.js';
import { SMS_PROVIDER_NAMES } from '../config.js';
import { ensureProviders, readProviders, setEnabled } from './health.js';

const when = (description: string) => Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

const Provider = Type.Object({
  name: Type.Enum(SMS_PROVIDER_NAMES, { type: 'string', description: 'The provider.' }),
  number: Type.Optional(Type.String({ description: 'The number texts go from through it (E.164 digits).' })),
  api: Type.Enum(['sms', 'messages', 'twilio'], { type: 'string', description: "Vonage's SMS or Messages API, or Twilio's." }),
  ratePerSecond: Type.Number({ description: 'Its send rate (0: no limit).' }),
  enabled: Type.Boolean({ description: 'Switched on (an admin can take it out by hand).' }),
  disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'Why an admin switched it off.' }),
  state: Type.Enum(['up', 'down'], { type: 'string', description: 'down: taken out after failures, probed until it answers again.' }),
  downSince: when('When it was taken out.'),
  probeAt: when('When it will next be tried while down.'),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'Its last failure.' }),
  lastFailureAt: when('When it last failed.'),
  lastSuccessAt: when('When it last took a text.'),
  preferred: Type.Boolean({ description: 'New texts go through it now (the first switched on and up).' }),
}, { additionalProperties: false });

const ProviderParams = Type.Object({ name: Type.String({ maxLength: 30, description: 'vonage or twilio.' }) }, { additionalProperties: false });
const ProviderSwitch = Type.Object({
  enabled: Type.Boolean({ description: 'false: texts go to the next provider; true: back in.' }),
  reason: Type.Optional(Type.String({ maxLength: 200, description: 'Why (shown to other admins).' })),
}, { additionalProperties: false });

export function registerProviderRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const names = deps.config.smsProviders;
  const rates = deps.config.providerRates;
  const numbers: Record<string, string> = { vonage: deps.config.batsignalNumber, ...(deps.config.twilio ? { twilio: deps.config.twilio.number } : {}) };
  const apiOf = (name: string): 'sms' | 'messages' | 'twilio' => (name === 'vonage' ? (deps.config.vonageMessages ? 'messages' : 'sms') : 'twilio');
  app.addHook('preHandler', requireAdmin(deps));
  // Types come from the TypeBox schemas: what is validated (and sent) is what is typed.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/api/providers', {
    schema: {
      tags: ['providers'],
      summary: 'Each SMS provider: switched on, up or taken out, its number and rate',
      response: { 200: Type.Object({ providers: Type.Array(Provider, { description: 'In order of preference (SMS_PROVIDERS).' }) }), 401: errorSchema },
    },
  }, async () => {
    await ensureProviders(deps.db, names);
    const rows = new Map((await readProviders(deps.db, names)).map((r) => [r.name, r]));
    let preferred: string | undefined;
    const providers = names.map((name) => {
      const s = rows.get(name)!;
      if (!preferred && s.enabled && s.state === 'up') preferred = name;
      return {
        name, number: numbers[name], api: apiOf(name), ratePerSecond: rates[name],
        enabled: s.enabled, disabledReason: s.disabledReason, state: s.state, downSince: iso(s.downSince), probeAt: iso(s.probeAt),
        lastError: s.lastError, lastFailureAt: iso(s.lastFailureAt), lastSuccessAt: iso(s.lastSuccessAt),
      };
    });
    return { providers: providers.map((p) => ({ ...p, preferred: p.name === preferred })) };
  });

  api.post(
    '/api/providers/:name',
    {
      schema: {
        tags: ['providers'],
        summary: 'Switch an SMS provider off (texts go to the next) or back on',
        params: ProviderParams,
        body: ProviderSwitch,
        response: { 200: Type.Object({ name: Type.String(), enabled: Type.Boolean() }), 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const { name } = req.params;
      if (!(names as readonly string[]).includes(name)) return sendError(reply, 'not_found', `no SMS provider "${name}" is configured`);
      const { enabled, reason } = req.body;
      await ensureProviders(deps.db, names);
      await setEnabled(deps.db, name, enabled, reason ?? null, deps.clock());
      req.log.warn({ provider: name, enabled, reason }, enabled ? 'SMS provider switched on by an admin' : 'SMS provider switched off by an admin');
      return { name, enabled };
    },
  );
}
