// Admin HTTP API for alerts: what admins see during an incident, and who they still need to phone.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger'; // FastifySchema's summary/tags/produces (OpenAPI)
import type { RouteDeps } from '../deps.js';
import { requireBearer } from '../http/auth.js';
import { errorSchema, notFound } from '../http/errors.js';
import { alertCounts, allAlertCounts, type AlertCounts } from './counts.js';
import { alertRecipients, alertTotal, optedOutMembers, type Recipient, type RecipientFilter } from './queries.js';
import { toCsv } from './csv.js';
import * as s from './schemas.js';

type AlertParams = { Params: { n: string } };
type RecipientsRequest = AlertParams & { Querystring: { state?: RecipientFilter } };

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema };

export function alertView(c: AlertCounts) {
  return {
    number: c.number,
    summary: c.summary,
    raiser: { name: c.raiserName, organisation: c.raiserOrg },
    source: c.source,
    exercise: c.exercise,
    status: c.status,
    createdAt: c.createdAt,
    closedAt: c.closedAt,
    lastAckAt: c.lastAckAt,
    forumUrl: c.forumUrl,
    counts: {
      recipients: c.recipients,
      queued: c.queued,
      submitted: c.submitted,
      pending: c.queued + c.submitted,
      delivered: c.delivered,
      failed: c.failed,
      acknowledged: c.acknowledged,
      unacknowledged: c.recipients - c.acknowledged,
      reminded: c.reminded,
      optedOut: c.recipientsOptedOut,
    },
    optedOutMembers: c.optedOut,
  };
}

const CSV_HEADER = ['name', 'organisation', 'phone', 'delivery_state', 'receipt_error', 'acked_at', 'reminded_at', 'opted_out'];

function sendCsv(reply: FastifyReply, n: number, state: RecipientFilter, rows: Recipient[]) {
  const csv = toCsv(
    CSV_HEADER,
    rows.map((r) => [r.name, r.organisation, r.phone, r.deliveryState, r.receiptError, r.ackedAt, r.remindedAt, r.optedOut ? 'yes' : 'no']),
  );
  return reply
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="batsignal-${n}-${state}.csv"`)
    .send(csv);
}

const wantsCsv = (req: FastifyRequest) => /(^|,)\s*text\/csv\b/i.test(req.headers.accept ?? '');

export async function registerAlertRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db } = deps;
  app.addHook('preHandler', requireBearer(deps.adminTokens));
  // Phone numbers and names: never kept by a browser or proxy cache.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
  });

  app.get<{ Querystring: { limit?: string; offset?: string } }>('/api/alerts', {
    schema: {
      summary: 'Alerts, newest first, each with its counts',
      tags: ['alerts'],
      querystring: s.listQuery,
      response: { 200: s.alertListSchema, ...errors },
    },
  }, async (req) => {
    const limit = Number(req.query.limit ?? 20);
    const offset = Number(req.query.offset ?? 0);
    const [rows, total] = await Promise.all([allAlertCounts(db, limit, offset), alertTotal(db)]);
    return {
      alerts: rows.map(alertView),
      total,
      limit,
      offset,
      optedOutMembers: rows[0]?.optedOut ?? (await optedOutMembers(db)).length,
    };
  });

  app.get<AlertParams>('/api/alerts/:n', {
    schema: {
      summary: 'One alert: raiser, times, counts by delivery state and acknowledgement',
      tags: ['alerts'],
      params: s.alertParams,
      response: { 200: s.alertSchema, ...errors },
    },
  }, async (req) => {
    const c = await alertCounts(db, Number(req.params.n));
    if (!c) throw notFound(`Alert #${req.params.n}`);
    return alertView(c);
  });

  const recipientsSchema = (summary: string) => ({
    summary,
    tags: ['alerts'],
    params: s.alertParams,
    querystring: s.recipientsQuery,
  });

  app.get<RecipientsRequest>('/api/alerts/:n/recipients', {
    schema: {
      ...recipientsSchema('Recipients of an alert (who to phone); CSV with Accept: text/csv'),
      response: {
        200: {
          description: 'JSON by default; the same rows as CSV when the request accepts text/csv.',
          content: {
            'application/json': { schema: s.recipientListSchema },
            'text/csv': { schema: { type: 'string', description: 'CSV with a header row.' } },
          },
        },
        ...errors,
      },
    },
  }, async (req, reply) => {
    const n = Number(req.params.n);
    const state = req.query.state ?? 'unacknowledged';
    const rows = await alertRecipients(db, n, state);
    if (!rows) throw notFound(`Alert #${n}`);
    if (wantsCsv(req)) return sendCsv(reply, n, state, rows);
    return reply.type('application/json; charset=utf-8').send({ alert: n, state, count: rows.length, recipients: rows });
  });

  app.get<RecipientsRequest>('/api/alerts/:n/recipients.csv', {
    schema: {
      ...recipientsSchema('Recipients of an alert as CSV (for a spreadsheet)'),
      produces: ['text/csv'],
      response: { 200: { type: 'string', description: 'CSV with a header row.' }, ...errors },
    },
  }, async (req, reply) => {
    const n = Number(req.params.n);
    const state = req.query.state ?? 'unacknowledged';
    const rows = await alertRecipients(db, n, state);
    if (!rows) throw notFound(`Alert #${n}`);
    return sendCsv(reply, n, state, rows);
  });

  app.get('/api/opt-outs', {
    schema: {
      summary: 'Members who have opted out of alert texts (STOP), most recent first',
      tags: ['members'],
      response: { 200: s.optOutListSchema, 401: errorSchema },
    },
  }, async () => {
    const members = await optedOutMembers(db);
    return { count: members.length, members };
  });
}
