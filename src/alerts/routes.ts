// Admin HTTP API for alerts: what admins see during an incident, and who they still need to phone.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger'; // FastifySchema's summary/tags/produces (OpenAPI)
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { errorSchema, notFound } from '../http/errors.js';
import { alertCounts, allAlertCounts, type AlertCounts } from './counts.js';
import { alertRecipients, alertRecipientsPage, alertTotal, optedOutMembersPage, type Recipient, type RecipientFilter } from './queries.js';
import { toCsv } from './csv.js';
import * as s from './schemas.js';
import * as cs from './coverage-schemas.js';
import { alertCoverage, contactsToCall, coverageSummary, filterCoverage, type CoverageState, type OrganisationCoverage, type CoverageContact } from './coverage.js';
import { exerciseMode, setExerciseMode } from './exercise.js';
import { alertTimeline } from './timeline.js';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema };

// Times as the serializer writes them (format date-time), so the response types say what is sent.
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function alertView(c: AlertCounts) {
  return {
    number: c.number,
    summary: c.summary,
    raiser: { name: c.raiserName, organisation: c.raiserOrg },
    source: c.source,
    exercise: c.exercise,
    kind: c.kind,
    status: c.status,
    createdAt: c.createdAt.toISOString(),
    closedAt: iso(c.closedAt),
    lastAckAt: iso(c.lastAckAt),
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

/** As the serializer writes it (format date-time), typed as the response schema says. */
const recipientJson = (r: Recipient) => ({ ...r, ackedAt: iso(r.ackedAt), remindedAt: iso(r.remindedAt) });

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

const contactView = (c: CoverageContact) => ({ memberId: c.memberId, name: c.name, phone: c.phone, contactRole: c.contactRole, optedOut: c.optedOut });

const COVERAGE_CSV_HEADER = [
  'ods_code', 'name', 'type', 'region', 'recipients', 'delivered', 'acknowledged', 'covered', 'situation',
  'need_help', 'affected', 'not_affected', 'escalated_at', 'contacts',
];

function sendCoverageCsv(reply: FastifyReply, n: number, state: CoverageState, rows: OrganisationCoverage[], contacts: Map<string, CoverageContact[]>) {
  const csv = toCsv(
    COVERAGE_CSV_HEADER,
    rows.map((o) => [
      o.odsCode, o.name, o.type, o.region, o.recipients, o.delivered, o.acknowledged, o.covered ? 'yes' : 'no', o.situation,
      o.needHelp, o.affected, o.notAffected, o.escalatedAt,
      (contacts.get(o.odsCode) ?? []).map((c) => `${c.name} (${c.contactRole}) ${c.phone}`).join('; '),
    ]),
  );
  return reply
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="batsignal-${n}-organisations-${state}.csv"`)
    .send(csv);
}

const wantsCsv = (req: FastifyRequest) => /(^|,)\s*text\/csv\b/i.test(req.headers.accept ?? '');

export function registerAlertRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { db } = deps;
  // Params and query types come from the TypeBox schemas: what is validated is what is typed.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('preHandler', requireAdmin(deps));
  // Phone numbers and names: never kept by a browser or proxy cache.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
  });

  api.get('/api/alerts', {
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
      optedOutMembers: rows[0]?.optedOut ?? (await optedOutMembersPage(db, { limit: 0, offset: 0 })).total,
    };
  });

  api.get('/api/alerts/:n', {
    schema: {
      summary: 'One alert: raiser, times, counts by delivery state and acknowledgement',
      tags: ['alerts'],
      params: s.alertParams,
      response: { 200: s.alertSchema, ...errors },
    },
  }, async (req) => {
    const n = Number(req.params.n);
    const [c, organisations] = await Promise.all([alertCounts(db, n), coverageSummary(db, n)]);
    if (!c) throw notFound(`Alert #${req.params.n}`);
    return { ...alertView(c), ...(organisations && { organisations }) };
  });

  api.get('/api/alerts/:n/organisations', {
    schema: {
      summary: 'Coverage of an alert by organisation (covered, situation, escalation; who to phone where uncovered); CSV with Accept: text/csv',
      tags: ['alerts'],
      params: s.alertParams,
      querystring: cs.coverageQuery,
      response: {
        200: {
          description: 'JSON by default; the same rows as CSV when the request accepts text/csv.',
          content: {
            'application/json': { schema: cs.coverageListSchema },
            'text/csv': { schema: { type: 'string', description: 'CSV with a header row.' } },
          },
        },
        ...errors,
      },
    },
  }, async (req, reply) => {
    const n = Number(req.params.n);
    const state = req.query.state ?? 'all';
    const cov = await alertCoverage(db, n);
    if (!cov) throw notFound(`Alert #${n}`);
    const rows = filterCoverage(cov.organisations, state);
    const contacts = await contactsToCall(db, rows.filter((o) => !o.covered).map((o) => o.odsCode));
    if (wantsCsv(req)) return sendCoverageCsv(reply, n, state, rows, contacts);
    const organisations = rows.map((o) => ({ ...o, escalatedAt: iso(o.escalatedAt), lastAckAt: iso(o.lastAckAt), ...(!o.covered && { contacts: (contacts.get(o.odsCode) ?? []).map(contactView) }) }));
    return reply
      .type('application/json; charset=utf-8')
      .send({ alert: n, state, count: rows.length, organisations, summary: cov.summary });
  });

  const recipientsSchema = (summary: string) => ({
    summary,
    tags: ['alerts'],
    params: s.alertParams,
    querystring: s.RecipientsQuery,
  });

  api.get('/api/alerts/:n/recipients', {
    schema: {
      ...recipientsSchema('Recipients of an alert (who to phone), a page at a time; CSV (the whole list) with Accept: text/csv'),
      response: {
        200: {
          description: 'JSON by default (a page: limit, offset, total); every matching row as CSV when the request accepts text/csv.',
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
    if (wantsCsv(req)) {
      const rows = await alertRecipients(db, n, state);
      if (!rows) throw notFound(`Alert #${n}`);
      return sendCsv(reply, n, state, rows);
    }
    const { limit, offset } = s.pageOf(req.query);
    const page = await alertRecipientsPage(db, n, state, { limit, offset });
    if (!page) throw notFound(`Alert #${n}`);
    return reply
      .type('application/json; charset=utf-8')
      .send({ alert: n, state, count: page.recipients.length, total: page.total, limit, offset, recipients: page.recipients.map(recipientJson) });
  });

  api.get('/api/alerts/:n/recipients.csv', {
    schema: {
      ...recipientsSchema('Recipients of an alert as CSV (for a spreadsheet): every matching row, limit and offset ignored'),
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

  api.get('/api/alerts/:n/timeline', {
    schema: {
      summary: 'An alert over time (the dashboard chart): texts sent, delivered and failed, acknowledgements and organisations covered, cumulative per time bucket',
      tags: ['alerts'],
      params: s.alertParams,
      response: { 200: TimelineSchema, ...errors },
    },
  }, async (req) => {
    const t = await alertTimeline(db, Number(req.params.n), deps.clock());
    if (!t) throw notFound(`Alert #${req.params.n}`);
    return t;
  });

  api.get('/api/opt-outs', {
    schema: {
      summary: 'Members who have opted out of alert texts (STOP), most recent first, a page at a time',
      tags: ['members'],
      querystring: s.OptOutsQuery,
      response: { 200: s.optOutListSchema, 400: errorSchema, 401: errorSchema },
    },
  }, async (req) => {
    const { limit, offset } = s.pageOf(req.query);
    const page = await optedOutMembersPage(db, { limit, offset });
    return { count: page.members.length, total: page.total, limit, offset, members: page.members.map((m) => ({ ...m, optedOutAt: iso(m.optedOutAt) })) };
  });
}

const counts = (what: string) => Type.Array(Type.Integer({ minimum: 0 }), { description: `${what} by each time of t (cumulative).` });
const TimelineSchema = Type.Object({
  alert: Type.Integer({ description: 'Alert number.' }),
  bucketSeconds: Type.Integer({ description: 'Width of each time bucket, in seconds (a round step; at most 60 buckets).' }),
  recipients: Type.Integer({ description: 'Members the alert went to.' }),
  organisations: Type.Union([Type.Integer(), Type.Null()], { description: 'Organisations the alert concerns; null when none (no directory).' }),
  t: Type.Array(Type.Integer(), { description: "Unix seconds: the alert's creation, then the end of each bucket (an open alert's last bucket reaches now)." }),
  sent: counts('Texts handed to the provider'),
  delivered: counts('Texts with a delivered receipt'),
  failed: counts('Texts failed (receipt or refused)'),
  acknowledged: counts('Recipients who acknowledged'),
  covered: Type.Union([counts('Organisations with at least one acknowledgement'), Type.Null()]),
}, { additionalProperties: false });

const ExerciseSwitch = Type.Object({ on: Type.Boolean() }, { additionalProperties: false });

/** GET/POST /api/exercise { on: boolean } (admin token): the switch in src/alerts/exercise.ts. */
export function registerExerciseRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const auth = requireAdmin(deps);
  api.get('/api/exercise', { onRequest: auth }, () => exerciseMode(deps.db));
  api.post('/api/exercise', { onRequest: auth, schema: { body: ExerciseSwitch } }, async (req) => {
    const mode = await setExerciseMode(deps.db, req.body.on, deps.clock());
    req.log.info({ exercise: mode.on }, 'exercise mode switched');
    return mode;
  });
}
