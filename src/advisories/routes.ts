// POST /api/advisories: issue a national advisory, or preview one (dryRun). Admin token only.
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { errorSchema } from '../http/errors.js';
import { sendAdvisory, summaryView } from './service.js';
import { advisoryOrganisationsQuery, advisoryParams, advisoryRequestSchema, advisorySummarySchema } from './schemas.js';
import { notFound, HttpError } from '../http/errors.js';
import { toCsv } from '../alerts/csv.js';
import { ADVISORY_FILTERS, advisoryHeader, advisoryOrganisations, advisorySummary } from './report.js';

export function registerAdvisoryRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.addHook('preHandler', requireAdmin(deps));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
  });

  // Types come from the schemas. The advisory's body is the exception: its schema documents it, and
  // parseAdvisoryRequest (not ajv) checks it and lists every problem at once, so req.body stays unknown.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  app.post<{ Body: unknown }>('/api/advisories', {
    validatorCompiler: () => () => true,
    schema: {
      summary: 'Issue a national advisory to targeted organisations (dryRun: preview who it would reach, send nothing)',
      tags: ['advisories'],
      body: advisoryRequestSchema,
      response: { 200: advisorySummarySchema, 201: advisorySummarySchema, 400: errorSchema, 401: errorSchema },
    },
  }, async (req, reply) => {
    // A signed-in admin's session is the dashboard; a bearer token is the API.
    const via = req.actor?.kind === 'session' ? 'web' : 'api';
    const r = await sendAdvisory({ db: deps.db, email: deps.config.smtp !== undefined, outboxSignal: deps.outboxSignal }, req.body, deps.clock(), via);
    return reply.code(r.dryRun ? 200 : 201).send(summaryView(r));
  });

  // Each organisation's response. GET /api/alerts/:n/organisations (peer coverage) should hand
  // advisories here once it lands; until then this is the advisory's own view.
  api.get('/api/advisories/:n/organisations', {
    schema: {
      summary: "An advisory's organisations: response, respondedAt, respondedBy, onTime, contacts to chase, and a summary; CSV with Accept: text/csv",
      tags: ['advisories'],
      params: advisoryParams,
      querystring: advisoryOrganisationsQuery,
    },
  }, async (req, reply) => {
    const n = Number(req.params.n);
    const now = deps.clock();
    const header = await advisoryHeader(deps.db, n);
    if (!header) throw notFound(`Advisory #${n}`);
    const state = req.query.state ?? 'all';
    if (!ADVISORY_FILTERS.includes(state)) throw new HttpError('invalid_request', `state must be one of ${ADVISORY_FILTERS.join(', ')}`);
    const rows = await advisoryOrganisations(deps.db, n, now, state);
    if (/(^|,)\s*text\/csv\b/i.test(req.headers.accept ?? '')) {
      const csv = toCsv(
        ['ods_code', 'name', 'type', 'routing', 'estate_unknown', 'reachable', 'response', 'responded_at', 'responded_by', 'on_time', 'overdue', 'need_help', 'contacts'],
        rows.map((r) => [r.odsCode, r.name, r.type, r.routing, r.estateUnknown ? 'yes' : 'no', r.reachable ? 'yes' : 'no', r.response, r.respondedAt, r.respondedBy,
          r.onTime === null ? '' : r.onTime ? 'yes' : 'no', r.overdue ? 'yes' : 'no', r.needHelp ? 'yes' : 'no', r.contacts.map((c) => `${c.name} ${c.phone}`).join('; ')]),
      );
      return reply.type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="advisory-${n}-${state}.csv"`).send(csv);
    }
    return { advisory: header, state, summary: await advisorySummary(deps.db, n, now), organisations: rows };
  });
}
