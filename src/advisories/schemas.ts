// JSON schemas of the advisory API, written with TypeBox. The request schema documents the body
// (OpenAPI) and request.ts checks it, listing every problem at once; the response and the
// organisations route's parameters type their handlers (src/advisories/routes.ts).
import { Type } from 'typebox';
import { ROUTINGS, SEVERITIES } from '../db/schema.js';
import { DateTime, Nullable, StringEnum } from '../http/schema.js';
import { ORG_TYPES } from './target.js';
import { MAX_BODY, MAX_TITLE } from './request.js';
import { ADVISORY_FILTERS } from './report.js';

const strings = (description: string) => Type.Array(Type.String(), { description });

export const advisoryRequestSchema = Type.Object(
  {
    title: Type.String({ maxLength: MAX_TITLE, description: 'Goes in the text.' }),
    body: Type.String({ maxLength: MAX_BODY, description: 'Goes by email only.' }),
    severity: StringEnum(SEVERITIES, { description: 'Default response window: high 48 h, medium 168 h, low none.' }),
    target: Type.Partial(
      Type.Object({
        all: Type.Boolean(),
        types: Type.Array(StringEnum(ORG_TYPES)),
        regions: strings('Case-insensitive.'),
        odsCodes: strings('Each must be in the directory.'),
        products: strings('Case-insensitive; organisations with no product list are included and flagged estateUnknown.'),
      }),
      {
        additionalProperties: false,
        description: 'Criteria combine with AND, values within one with OR. An empty target is refused; {"all": true} targets every organisation.',
      },
    ),
    ...Type.Partial(
      Type.Object({
        respondWithinHours: Type.Integer({ minimum: 1, maximum: 2160 }),
        exercise: Type.Boolean({ description: 'Says EXERCISE in every text and email.' }),
        dryRun: Type.Boolean({ description: 'Answer with the organisations and contacts it would reach; send nothing.' }),
      }),
    ).properties,
  },
  { additionalProperties: false },
);

const contact = Type.Partial(
  Type.Object({
    memberId: Type.Integer(),
    name: Type.String(),
    phone: Type.String(),
    odsCode: Nullable(Type.String()),
    route: StringEnum(['direct', 'via_support']),
  }),
);

export const advisorySummarySchema = Type.Partial(
  Type.Object({
    number: Nullable(Type.Integer({ description: 'The alert number (shared with peer alerts: ACK 14 works for both).' })),
    dryRun: Type.Boolean(),
    respondBy: Nullable(DateTime()),
    organisations: Type.Partial(
      Type.Object({ targeted: Type.Integer(), reachable: Type.Integer(), unreachable: Type.Integer(), estateUnknown: Type.Integer() }),
    ),
    recipients: Type.Integer({ description: 'Contacts reached (each once, however many organisations they answer for).' }),
    texts: Type.Integer(),
    emails: Type.Integer(),
    unreachableOrganisations: Type.Array(Type.Partial(Type.Object({ odsCode: Type.String(), name: Type.String() }))),
    preview: Type.Array(
      Type.Partial(
        Type.Object({
          odsCode: Type.String(),
          name: Type.String(),
          type: Type.String(),
          routing: StringEnum(ROUTINGS),
          estateUnknown: Type.Boolean(),
          reachable: Type.Boolean(),
          contacts: Type.Array(contact),
        }),
      ),
    ),
  }),
  { description: '201 when issued, 200 for a dry run (number null, preview listed).' },
);

export const advisoryParams = Type.Object({ n: Type.String({ pattern: '^[0-9]{1,9}$' }) });
export const advisoryOrganisationsQuery = Type.Partial(Type.Object({ state: StringEnum(ADVISORY_FILTERS) }));
