// JSON schemas of GET /api/alerts/:n/organisations and the coverage summary on GET /api/alerts/:n.
import { Type } from 'typebox';
import { CONTACT_ROLES, ORGANISATION_TYPES } from '../db/schema.js';
import { COVERAGE_STATES } from './coverage.js';

const int = (description: string) => ({ type: 'integer', description }) as const;
const nullableTime = (description: string) => ({ type: ['string', 'null'], format: 'date-time', description }) as const;

export const coverageSummarySchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Coverage by organisation: covered = someone there acknowledged.',
  properties: {
    targeted: int('Organisations the alert concerns (its recipients\' and held-back deputies\').'),
    covered: int('Organisations where at least one recipient acknowledged.'),
    uncovered: int('Organisations where nobody has acknowledged yet.'),
    needHelp: int('Organisations whose most serious answer is NEED HELP.'),
    affected: int('Organisations whose most serious answer is AFFECTED.'),
    notAffected: int('Organisations whose members answered NOT AFFECTED only.'),
    escalated: int('Organisations whose deputies were sent the alert because nobody acknowledged in time.'),
    noOrganisation: {
      type: 'object',
      additionalProperties: false,
      description: 'Recipients with no organisation in the directory.',
      properties: { recipients: int('Recipients.'), acknowledged: int('Of them, acknowledged.') },
    },
  },
} as const;

const contactSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    memberId: int('Member id.'),
    name: { type: 'string' },
    phone: { type: 'string', description: 'E.164: a number to call.' },
    contactRole: { type: 'string', enum: [...CONTACT_ROLES] },
    optedOut: { type: 'boolean', description: 'Opted out of texts (STOP): still callable.' },
  },
} as const;

export const organisationCoverageSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    odsCode: { type: 'string' },
    name: { type: ['string', 'null'], description: 'null if since deleted from the directory.' },
    type: { type: ['string', 'null'], enum: [...ORGANISATION_TYPES, null] },
    region: { type: ['string', 'null'] },
    recipients: int('Members of it the alert went to (deputies once escalated).'),
    delivered: int('Of them, with a "delivered" receipt.'),
    acknowledged: int('Of them, acknowledged (ACK, AFFECTED, NOT AFFECTED or NEED HELP).'),
    covered: { type: 'boolean', description: 'At least one acknowledged.' },
    situation: {
      type: 'string',
      enum: ['need_help', 'affected', 'not_affected', 'unknown'],
      description: 'The most serious latest answer of its members.',
    },
    needHelp: int('Members whose latest answer is NEED HELP.'),
    affected: int('Members whose latest answer is AFFECTED.'),
    notAffected: int('Members whose latest answer is NOT AFFECTED.'),
    deputiesHeld: int('Deputies not sent the alert (yet).'),
    escalatedAt: nullableTime('When its deputies were sent the alert, if they were.'),
    lastAckAt: nullableTime('Its most recent acknowledgement.'),
    contacts: { type: 'array', items: contactSchema, description: 'For uncovered organisations: who to phone (primary, deputy, then members; at most 5).' },
  },
} as const;

/** GET /api/alerts/:n/organisations?state= */
export const coverageQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Enum(COVERAGE_STATES, {
        type: 'string',
        description: 'Which organisations: all (default), covered, uncovered, need_help, affected, not_affected or unknown (no answer yet).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const coverageListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    alert: int('Alert number.'),
    state: { type: 'string', enum: [...COVERAGE_STATES] },
    count: int('Organisations listed.'),
    organisations: { type: 'array', items: organisationCoverageSchema, description: 'By name.' },
    summary: coverageSummarySchema,
  },
} as const;
