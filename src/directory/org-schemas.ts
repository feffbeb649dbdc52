// JSON schemas of the organisations admin API: validate requests (unknown fields refused), shape
// responses and generate the OpenAPI description.
// Written with TypeBox: the route types are derived from them (src/directory/org-routes.ts).
import { Type, type Static } from 'typebox';
import { ORGANISATION_TYPES, ROUTINGS } from '../db/schema.js';
import { DateTime, Nullable, StringEnum } from '../http/schema.js';
import { importReportSchema, pageSchema } from './schemas.js';

const str = (description: string, extra: Record<string, unknown> = {}) => Type.String({ description, ...extra });
const nullableStr = (description: string, extra: Record<string, unknown> = {}) => Nullable(Type.String({ description, ...extra }));

const ODS = { pattern: '^[A-Za-z0-9]{3,6}$' } as const;

const editable = {
  name: str('Name ("Ancoats Surgery").', { minLength: 1, maxLength: 200 }),
  type: StringEnum(ORGANISATION_TYPES, { description: 'Kind of organisation.' }),
  region: nullableStr('Region ("North West"); null for none.', { maxLength: 100 }),
  parentOdsCode: nullableStr('ODS code of the parent organisation (a practice\'s ICB); null for none.', ODS),
  itSupportOdsCode: nullableStr('ODS code of the unit that runs its IT (a CSU); null for none.', ODS),
  routing: Nullable(StringEnum(ROUTINGS), {
    description: 'How advisories reach it: direct, via_support or both; null: direct, or both when it has an IT support unit.',
  }),
  products: Nullable(
    Type.Array(Type.String({ maxLength: 100 }), {
      maxItems: 200,
      description: 'The estate: product names ("EMIS Web"). null: not known; []: runs none of the products tracked.',
    }),
  ),
};

const { name, type, ...rest } = editable;

export const orgCreateBody = Type.Object(
  { odsCode: str('ODS code: 3-6 letters or digits, stored upper-case.', ODS), name, type, ...Type.Partial(Type.Object(rest)).properties },
  { additionalProperties: false },
);

export const orgPatchBody = Type.Partial(Type.Object(editable), { additionalProperties: false, minProperties: 1 });
export type OrgPatchBody = Static<typeof orgPatchBody>;

export const odsParams = Type.Object({ ods: str('ODS code (any case).', ODS) }, { additionalProperties: false });

export const orgListQuery = Type.Partial(
  Type.Object({
    type: StringEnum(ORGANISATION_TYPES, { description: 'Only organisations of this type.' }),
    region: str('Only organisations in this region (case-insensitive, exact).', { maxLength: 100 }),
    search: str('Part of the name, or the ODS code.', { maxLength: 200 }),
    limit: str('Organisations per page, 1 to 1000 (default 100).', { pattern: '^(1000|[1-9][0-9]{0,2})$' }),
    offset: str('Organisations to skip (default 0); ordered by name.', { pattern: '^[0-9]{1,9}$' }),
  }),
  { additionalProperties: false },
);

// Responses list no required fields (as before TypeBox): the serialiser writes what is there.
export const organisationSchema = Type.Partial(
  Type.Object({
    odsCode: str('ODS code, upper-case.'),
    name: str('Name.'),
    type: StringEnum(ORGANISATION_TYPES, { description: 'Kind of organisation.' }),
    region: nullableStr('Region, or null.'),
    parentOdsCode: nullableStr('Parent organisation\'s ODS code, or null.'),
    itSupportOdsCode: nullableStr('IT support unit\'s ODS code, or null.'),
    routing: Nullable(StringEnum(ROUTINGS), { description: 'Routing as set; null: the default rule.' }),
    effectiveRouting: StringEnum(ROUTINGS, { description: 'Routing with the default rule applied.' }),
    products: Nullable(Type.Array(Type.String(), { description: 'The estate; null: not known.' })),
    createdAt: DateTime('When it was added.'),
    updatedAt: DateTime('When it was last changed.'),
  }),
  { additionalProperties: false, description: 'An organisation of the directory.' },
);

export const organisationListSchema = pageSchema('organisations', organisationSchema, 'organisations');

export const orgImportReportSchema = importReportSchema('organisation', 'ODS code', {
  odsCode: str('The row\'s ODS code, when it had a valid one.'),
});
