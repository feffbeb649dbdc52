// Admin HTTP API for the organisation directory: list, get, add, change, remove, import a spreadsheet.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/swagger';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { errorSchema, HttpError, requireContentType } from '../http/errors.js';
import { decodeCsv } from './csv.js';
import { hasUnprintable, type Check } from './validate.js';
import * as v from './org-validate.js';
import { createOrganisation, deleteOrganisation, getOrganisation, listOrganisations, updateOrganisation, type OrganisationPatch } from './org-store.js';
import { importOrganisations } from './org-import.js';
import * as s from './org-schemas.js';

const IMPORT_BODY_LIMIT = 5 * 1024 * 1024;
const CSV_TYPES = ['text/csv', 'application/csv'];
const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 413: errorSchema, 415: errorSchema };



function valid<T>(c: Check<T>): T {
  if (!c.ok) throw new HttpError('invalid_request', c.reason);
  return c.value;
}

function patchFrom(b: s.OrgPatchBody): OrganisationPatch {
  const p: OrganisationPatch = {};
  if (b.name !== undefined) p.name = valid(v.checkOrgName(b.name));
  if (b.type !== undefined) p.type = valid(v.checkOrgType(b.type));
  if (b.region !== undefined) p.region = valid(v.checkRegion(b.region));
  if (b.parentOdsCode !== undefined) p.parentOdsCode = valid(v.checkOptionalOdsCode(b.parentOdsCode, 'parentOdsCode'));
  if (b.itSupportOdsCode !== undefined) p.itSupportOdsCode = valid(v.checkOptionalOdsCode(b.itSupportOdsCode, 'itSupportOdsCode'));
  if (b.routing !== undefined) p.routing = valid(v.checkRouting(b.routing));
  if (b.products !== undefined) p.products = b.products === null ? null : valid(v.checkProducts(b.products));
  return p;
}

export function registerOrganisationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { db } = deps;
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
  app.setSchemaErrorFormatter((errs, dataVar) => {
    const e = errs[0];
    if (e?.keyword === 'additionalProperties') {
      return new Error(`${dataVar} has an unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"`);
    }
    const where = e?.instancePath ? `${dataVar}${e.instancePath.replace(/\//g, '.')}` : dataVar;
    return new Error(`${where} ${e?.message ?? 'is invalid'}`);
  });
  app.addHook('onSend', async (_req, reply: FastifyReply) => {
    reply.header('Cache-Control', 'no-store');
  });

  // Request and response types come from the schemas (s.*), not from generics written beside them.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/organisations',
    {
      onRequest: auth,
      schema: {
        summary: 'Organisations of the directory, by name, with filters (type, region, search) and paging',
        tags: ['organisations'],
        querystring: s.orgListQuery,
        response: { 200: s.organisationListSchema, ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      for (const [k, val] of Object.entries({ region: q.region, search: q.search })) {
        if (val !== undefined && hasUnprintable(val)) throw new HttpError('invalid_request', `${k} contains control or invalid characters`);
      }
      const limit = Number(q.limit ?? 100);
      const offset = Number(q.offset ?? 0);
      const page = await listOrganisations(db, { type: q.type, region: q.region, search: q.search, limit, offset });
      return { ...page, limit, offset };
    },
  );

  api.get(
    '/api/organisations/:ods',
    { onRequest: auth, schema: { summary: 'One organisation', tags: ['organisations'], params: s.odsParams, response: { 200: s.organisationSchema, ...errors } } },
    async (req) => getOrganisation(db, req.params.ods),
  );

  api.post(
    '/api/organisations',
    {
      onRequest: json,
      schema: { summary: 'Add an organisation', tags: ['organisations'], body: s.orgCreateBody, response: { 201: s.organisationSchema, ...errors } },
    },
    async (req, reply) => {
      const b = req.body;
      const fields = valid(
        v.checkOrganisation({
          odsCode: b.odsCode ?? '',
          name: b.name ?? '',
          type: b.type ?? '',
          region: b.region,
          parentOdsCode: b.parentOdsCode,
          itSupportOdsCode: b.itSupportOdsCode,
          routing: b.routing,
          products: b.products,
        }),
      );
      const org = await createOrganisation(db, fields, deps.clock());
      return reply.code(201).header('Location', `/api/organisations/${org.odsCode}`).send(org);
    },
  );

  api.patch(
    '/api/organisations/:ods',
    {
      onRequest: json,
      schema: {
        summary: 'Change an organisation (only the fields sent; the ODS code stays)',
        tags: ['organisations'],
        params: s.odsParams,
        body: s.orgPatchBody,
        response: { 200: s.organisationSchema, ...errors },
      },
    },
    async (req) => updateOrganisation(db, req.params.ods, patchFrom(req.body), deps.clock()),
  );

  api.delete(
    '/api/organisations/:ods',
    {
      onRequest: auth,
      schema: {
        summary: 'Remove an organisation (refused while members or organisations refer to it)',
        tags: ['organisations'],
        params: s.odsParams,
        response: { 204: Type.Null({ description: 'Removed.' }), ...errors },
      },
    },
    async (req, reply) => {
      await deleteOrganisation(db, req.params.ods);
      return reply.code(204).send(null);
    },
  );

  app.post<{ Body: string }>(
    '/api/organisations/import',
    {
      onRequest: [auth, requireContentType(CSV_TYPES)],
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        summary:
          'Import a CSV spreadsheet (header: ods_code, name, type[, region, parent_ods_code, it_support_ods_code, routing, products]); idempotent by ODS code',
        tags: ['organisations'],
        consumes: CSV_TYPES,
        response: { 200: s.orgImportReportSchema, ...errors },
      },
    },
    async (req) => importOrganisations(db, req.body, deps.clock()),
  );
}
