// JSON schemas of the advisory API (OpenAPI; the request is checked by request.ts).
import { ORG_TYPES } from './target.js';
import { MAX_BODY, MAX_TITLE } from './request.js';

const strings = (description: string) => ({ type: 'array', items: { type: 'string' }, description });

export const advisoryRequestSchema = {
  type: 'object',
  required: ['title', 'body', 'severity', 'target'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', maxLength: MAX_TITLE, description: 'Goes in the text.' },
    body: { type: 'string', maxLength: MAX_BODY, description: 'Goes by email only.' },
    severity: { type: 'string', enum: ['high', 'medium', 'low'], description: 'Default response window: high 48 h, medium 168 h, low none.' },
    target: {
      type: 'object',
      additionalProperties: false,
      description: 'Criteria combine with AND, values within one with OR. An empty target is refused; {"all": true} targets every organisation.',
      properties: {
        all: { type: 'boolean' },
        types: { type: 'array', items: { type: 'string', enum: [...ORG_TYPES] } },
        regions: strings('Case-insensitive.'),
        odsCodes: strings('Each must be in the directory.'),
        products: strings('Case-insensitive; organisations with no product list are included and flagged estateUnknown.'),
      },
    },
    respondWithinHours: { type: 'integer', minimum: 1, maximum: 2160 },
    exercise: { type: 'boolean', description: 'Says EXERCISE in every text and email.' },
    dryRun: { type: 'boolean', description: 'Answer with the organisations and contacts it would reach; send nothing.' },
  },
} as const;

const contact = {
  type: 'object',
  properties: {
    memberId: { type: 'integer' },
    name: { type: 'string' },
    phone: { type: 'string' },
    odsCode: { type: ['string', 'null'] },
    route: { type: 'string', enum: ['direct', 'via_support'] },
  },
} as const;

export const advisorySummarySchema = {
  type: 'object',
  description: '201 when issued, 200 for a dry run (number null, preview listed).',
  properties: {
    number: { type: ['integer', 'null'], description: 'The alert number (shared with peer alerts: ACK 14 works for both).' },
    dryRun: { type: 'boolean' },
    respondBy: { type: ['string', 'null'], format: 'date-time' },
    organisations: {
      type: 'object',
      properties: { targeted: { type: 'integer' }, reachable: { type: 'integer' }, unreachable: { type: 'integer' }, estateUnknown: { type: 'integer' } },
    },
    recipients: { type: 'integer', description: 'Contacts reached (each once, however many organisations they answer for).' },
    texts: { type: 'integer' },
    emails: { type: 'integer' },
    unreachableOrganisations: { type: 'array', items: { type: 'object', properties: { odsCode: { type: 'string' }, name: { type: 'string' } } } },
    preview: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          odsCode: { type: 'string' },
          name: { type: 'string' },
          type: { type: 'string' },
          routing: { type: 'string', enum: ['direct', 'via_support', 'both'] },
          estateUnknown: { type: 'boolean' },
          reachable: { type: 'boolean' },
          contacts: { type: 'array', items: contact },
        },
      },
    },
  },
} as const;
