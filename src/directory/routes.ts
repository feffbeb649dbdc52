// Admin HTTP API for the member registry: list, get, add, change, remove, and import a spreadsheet.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/swagger'; // FastifySchema's summary/tags (OpenAPI)
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { errorSchema, HttpError, requireContentType, type ErrorCode } from '../http/errors.js';
import { createMember, deleteMember, getMember, listMembers, resendWelcome, updateMember, type MemberPatch } from './store.js';
import { importMembers } from './import.js';
import { decodeCsv } from './csv.js';
import * as v from './validate.js';
import * as s from './schemas.js';

/** ~1,800 members is ~150 KB of CSV; 5 MB leaves room for 50,000 rows and stops a runaway upload. */
export const IMPORT_BODY_LIMIT = 5 * 1024 * 1024;
const CSV_TYPES = ['text/csv', 'application/csv'];


const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 413: errorSchema, 415: errorSchema };


function valid<T>(c: v.Check<T>, code: ErrorCode = 'invalid_request'): T {
  if (!c.ok) throw new HttpError(code, c.reason);
  return c.value;
}

/** Each field the body carries, checked and normalised as the import would. */
function patchFrom(b: s.PatchBody, deps: RouteDeps): MemberPatch {
  const p: MemberPatch = {};
  if (b.phone !== undefined) p.phone = valid(v.checkPhone(b.phone, deps.config.defaultCountry), 'invalid_phone');
  if (b.name !== undefined) p.name = valid(v.checkName(b.name));
  if (b.email !== undefined) p.email = valid(v.checkEmail(b.email), 'invalid_email');
  if (b.organisation !== undefined) p.organisation = valid(v.checkOrganisation(b.organisation));
  if (b.role !== undefined) p.role = valid(v.checkRole(b.role));
  if (b.forumUsername !== undefined) p.forumUsername = valid(v.checkForumUsername(b.forumUsername));
  if (b.optedOut !== undefined) p.optedOut = b.optedOut;
  if (b.odsCode !== undefined) p.odsCode = valid(v.checkMemberOdsCode(b.odsCode));
  if (b.contactRole !== undefined) p.contactRole = valid(v.checkContactRole(b.contactRole));
  return p;
}

export function registerMemberRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { db } = deps;
  // onRequest, not preHandler: nobody without the token gets a 5 MB body read.
  const auth = requireAdmin(deps);
  const json = [auth, requireContentType(['application/json'])];
  app.addContentTypeParser(CSV_TYPES, { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (req, body, done) => {
    const charset = /;\s*charset="?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    try {
      done(null, decodeCsv(body as Buffer, charset));
    } catch (err) {
      done(err as Error);
    }
  });
  // Name the offending field ("body has an unknown field "nickname"") instead of ajv's generic words.
  app.setSchemaErrorFormatter((errs, dataVar) => {
    const e = errs[0];
    if (e?.keyword === 'additionalProperties') {
      return new Error(`${dataVar} has an unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"`);
    }
    const where = e?.instancePath ? `${dataVar}${e.instancePath.replace(/\//g, '.')}` : dataVar;
    return new Error(`${where} ${e?.message ?? 'is invalid'}`);
  });
  app.addHook('onSend', async (_req, reply: FastifyReply) => {
    reply.header('Cache-Control', 'no-store'); // names and numbers: never cached
  });

  // Request and response types come from the schemas (s.*), not from generics written beside them.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/members',
    {
      onRequest: auth,
      // The query may carry a phone number (?search=07700...): keep the request line out of info logs.
      logLevel: 'warn',
      schema: { summary: 'Members, by name, with filters and paging', tags: ['members'], querystring: s.listQuery, response: { 200: s.memberListSchema, ...errors } },
    },
    async (req) => {
      const q = req.query;
      if (q.search !== undefined && v.hasUnprintable(q.search)) throw new HttpError('invalid_request', 'search contains control or invalid characters');
      const limit = Number(q.limit ?? 100);
      const offset = Number(q.offset ?? 0);
      const optedOut = q.optedOut === undefined ? undefined : q.optedOut === 'true';
      const verified = q.verified === undefined ? undefined : q.verified === 'true';
      const page = await listMembers(db, { role: q.role, optedOut, verified, undeliverable: q.undeliverable === 'true', search: q.search, limit, offset }, deps.config.defaultCountry);
      return { ...page, limit, offset };
    },
  );

  api.get(
    '/api/members/:id',
    { onRequest: auth, schema: { summary: 'One member', tags: ['members'], params: s.idParams, response: { 200: s.memberSchema, ...errors } } },
    async (req) => getMember(db, Number(req.params.id)),
  );

  api.post(
    '/api/members',
    {
      onRequest: json,
      schema: { summary: 'Add a member', tags: ['members'], body: s.createBody, response: { 201: s.memberSchema, ...errors } },
    },
    async (req, reply) => {
      const p = patchFrom(req.body, deps);
      const member = await createMember(db, {
        name: p.name!,
        phone: p.phone!,
        email: p.email ?? null,
        organisation: p.organisation ?? '',
        role: p.role ?? 'member',
        forumUsername: p.forumUsername ?? null,
        odsCode: p.odsCode ?? null,
        contactRole: p.contactRole ?? 'member',
      }, deps.clock());
      deps.outboxSignal?.touch(); // the welcome text
      return reply.code(201).header('Location', `/api/members/${member.id}`).send(member);
    },
  );

  api.patch(
    '/api/members/:id',
    {
      onRequest: json,
      schema: { summary: 'Change a member (only the fields sent)', tags: ['members'], params: s.idParams, body: s.patchBody, response: { 200: s.memberSchema, ...errors } },
    },
    async (req) => {
      const m = await updateMember(db, Number(req.params.id), patchFrom(req.body, deps), deps.clock());
      if (req.body.phone !== undefined) deps.outboxSignal?.touch(); // a new number's welcome
      return m;
    },
  );

  api.post(
    '/api/members/:id/welcome',
    {
      onRequest: auth,
      schema: {
        summary: 'Send the welcome text again (asks the member to reply JOIN to verify their number); never to a member who has opted out',
        tags: ['members'],
        params: s.idParams,
        response: { 200: s.memberSchema, ...errors },
      },
    },
    async (req) => {
      const r = await resendWelcome(db, Number(req.params.id), deps.clock());
      if (r.outcome === 'optedOut') throw new HttpError('opted_out', `${r.member.name} has opted out of texts (STOP): nothing was sent. They can text START to rejoin.`);
      deps.outboxSignal?.touch();
      req.log.info({ member: r.member.id }, 'welcome sent again');
      return r.member;
    },
  );

  api.delete(
    '/api/members/:id',
    {
      onRequest: auth,
      schema: {
        summary: 'Remove a member (their delivery records go too; sent texts stay in the outbox history)',
        tags: ['members'],
        params: s.idParams,
        response: { 204: Type.Null({ description: 'Removed.' }), ...errors },
      },
    },
    async (req, reply) => {
      await deleteMember(db, Number(req.params.id));
      return reply.code(204).send(null);
    },
  );

  app.post<{ Body: string }>(
    '/api/members/import',
    {
      onRequest: [auth, requireContentType(CSV_TYPES)],
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        summary: 'Import a CSV spreadsheet (header: name, phone, email, organisation, role[, forum_username, ods_code, contact_role]); idempotent by phone',
        tags: ['members'],
        consumes: CSV_TYPES,
        response: { 200: s.memberImportReportSchema, ...errors },
      },
    },
    async (req) => {
      const report = await importMembers(db, req.body, deps.config.defaultCountry, deps.clock());
      if (report.added > 0) deps.outboxSignal?.touch(); // the new members' welcomes
      return report;
    },
  );
}
