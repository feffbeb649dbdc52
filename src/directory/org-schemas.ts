// JSON schemas of the organisations admin API: validate requests (unknown fields refused), shape
// responses and generate the OpenAPI description.
import { ORGANISATION_TYPES, ROUTINGS } from '../db/schema.js';
import { IMPORT_OUTCOMES } from './csv.js';

const str = (description: string, extra: object = {}) => ({ type: 'string', description, ...extra }) as const;
const nullableStr = (description: string, extra: object = {}) => ({ type: ['string', 'null'], description, ...extra }) as const;

const ODS = { pattern: '^[A-Za-z0-9]{3,6}$' } as const;

const editable = {
  name: str('Name ("Ancoats Surgery").', { minLength: 1, maxLength: 200 }),
  type: { type: 'string', enum: [...ORGANISATION_TYPES], description: 'Kind of organisation.' },
  region: nullableStr('Region ("North West"); null for none.', { maxLength: 100 }),
  parentOdsCode: nullableStr('ODS code of the parent organisation (a practice\'s ICB); null for none.', ODS),
  itSupportOdsCode: nullableStr('ODS code of the unit that runs its IT (a CSU); null for none.', ODS),
  routing: {
    type: ['string', 'null'],
    enum: [...ROUTINGS, null],
    description: 'How advisories reach it: direct, via_support or both; null: direct, or both when it has an IT support unit.',
  },
  products: {
    type: ['array', 'null'],
    maxItems: 200,
    items: { type: 'string', maxLength: 100 },
    description: 'The estate: product names ("EMIS Web"). null: not known; []: runs none of the products tracked.',
  },
} as const;

export const orgCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['odsCode', 'name', 'type'],
  properties: { odsCode: str('ODS code: 3-6 letters or digits, stored upper-case.', ODS), ...editable },
} as const;

export const orgPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: editable,
} as const;

export const odsParams = {
  type: 'object',
  additionalProperties: false,
  required: ['ods'],
  properties: { ods: str('ODS code (any case).', ODS) },
} as const;

export const orgListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: [...ORGANISATION_TYPES], description: 'Only organisations of this type.' },
    region: str('Only organisations in this region (case-insensitive, exact).', { maxLength: 100 }),
    search: str('Part of the name, or the ODS code.', { maxLength: 200 }),
    limit: str('Organisations per page, 1 to 1000 (default 100).', { pattern: '^(1000|[1-9][0-9]{0,2})$' }),
    offset: str('Organisations to skip (default 0); ordered by name.', { pattern: '^[0-9]{1,9}$' }),
  },
} as const;

export const organisationSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'An organisation of the directory.',
  properties: {
    odsCode: str('ODS code, upper-case.'),
    name: str('Name.'),
    type: { type: 'string', enum: [...ORGANISATION_TYPES], description: 'Kind of organisation.' },
    region: nullableStr('Region, or null.'),
    parentOdsCode: nullableStr('Parent organisation\'s ODS code, or null.'),
    itSupportOdsCode: nullableStr('IT support unit\'s ODS code, or null.'),
    routing: { type: ['string', 'null'], enum: [...ROUTINGS, null], description: 'Routing as set; null: the default rule.' },
    effectiveRouting: { type: 'string', enum: [...ROUTINGS], description: 'Routing with the default rule applied.' },
    products: { type: ['array', 'null'], items: { type: 'string' }, description: 'The estate; null: not known.' },
    createdAt: str('When it was added.', { format: 'date-time' }),
    updatedAt: str('When it was last changed.', { format: 'date-time' }),
  },
} as const;

export const organisationListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    organisations: { type: 'array', items: organisationSchema, description: 'This page, by name.' },
    total: { type: 'integer', description: 'Organisations matching the filters, on all pages.' },
    limit: { type: 'integer', description: 'Page size used.' },
    offset: { type: 'integer', description: 'Organisations skipped.' },
  },
} as const;

export const orgImportReportSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'What happened to each row. Good rows are saved even when others are rejected.',
  properties: {
    added: { type: 'integer', description: 'Rows that added an organisation.' },
    updated: { type: 'integer', description: 'Rows that changed an existing organisation (same ODS code).' },
    unchanged: { type: 'integer', description: 'Rows that matched an existing organisation exactly.' },
    rejected: { type: 'integer', description: 'Rows not saved; see each row\'s reason.' },
    rows: {
      type: 'array',
      description: 'One entry per data row, in file order.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          row: { type: 'integer', description: 'Line of the file (the header is line 1).' },
          outcome: { type: 'string', enum: [...IMPORT_OUTCOMES], description: 'What happened to the row.' },
          odsCode: str('The row\'s ODS code, when it had a valid one.'),
          reason: str('Why the row was rejected.'),
        },
      },
    },
  },
} as const;
