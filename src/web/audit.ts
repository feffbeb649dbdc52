// GET /api/audit: the audit log (src/http/audit.ts writes it), newest first, paged, as JSON or CSV.
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { toCsv } from '../alerts/csv.js';

const Query = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);

export function registerAuditRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get('/api/audit', {
    onRequest: requireAdmin(deps),
    schema: { tags: ['audit'], summary: 'Every change made through the admin API or the pages: who, what, when (JSON, or CSV with format=csv)', querystring: Query },
  }, async (req, reply) => {
    const limit = req.query.limit ?? 100;
    const offset = req.query.offset ?? 0;
    const csv = req.query.format === 'csv';
    const total = await deps.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    let q = deps.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc');
    if (!csv) q = q.limit(limit).offset(offset);
    const rows = await q.execute();
    const entries = rows.map((r) => ({ id: String(r.id), at: r.at.toISOString(), actor: r.actor, actorMemberId: r.actor_member_id, action: r.action, target: r.target, status: r.status, details: r.details ?? null }));
    if (csv) {
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="batsignal-audit.csv"');
      return toCsv(['at', 'actor', 'actor_member_id', 'action', 'target', 'status', 'details'], entries.map((e) => [e.at, e.actor, e.actorMemberId, e.action, e.target, e.status, e.details === null ? '' : JSON.stringify(e.details)]));
    }
    return { total: Number(total.n), limit, offset, entries };
  });
}
