// JSON schemas of the members admin API: they validate requests (unknown fields refused), shape
// responses (fields not listed are never sent) and generate the OpenAPI description.
import { CONTACT_ROLES, ROLES } from '../db/schema.js';
import { IMPORT_OUTCOMES } from './csv.js';
const str = (description: string, extra: object = {}) => ({ type: 'string', description, ...extra }) as const;
const nullableStr = (description: string, extra: object = {}) => ({ type: ['string', 'null'], description, ...extra }) as const;

const editable = {
  name: str('Full name, as shown in alerts ("BATSIGNAL #12 from Jane Smith ...").', { minLength: 1, maxLength: 200 }),
  phone: str(
    'Mobile number in any common format ("07700 900123", "+44 7700 900123", "447700900123"); stored in E.164. ' +
      'National numbers are read in DEFAULT_COUNTRY.',
    { minLength: 1, maxLength: 40 },
  ),
  email: nullableStr('Email address for alert emails; null or "" for none.', { maxLength: 320 }),
  organisation: str('Organisation, as shown in alerts ("... (Northtown Trust)").', { maxLength: 200 }),
  role: { type: 'string', enum: [...ROLES], description: 'admin: may ask STATUS of any alert by text.' },
  forumUsername: nullableStr('Discourse username of this member (alerts raised on the forum map to them); null for none.', {
    maxLength: 60,
  }),
  odsCode: nullableStr('ODS code of the member\'s organisation in the directory (must exist there); null for none.', {
    pattern: '^[A-Za-z0-9]{3,6}$',
  }),
  contactRole: {
    type: 'string',
    enum: [...CONTACT_ROLES],
    description: 'primary or deputy contact of the organisation (needs odsCode), or member (default). Deputies get a peer alert only when nobody at their organisation acknowledged in time.',
  },
} as const;

export const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'phone'],
  properties: editable,
} as const;

export const patchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ...editable,
    optedOut: {
      type: 'boolean',
      description: 'Opted out of alert texts. Members do this themselves with STOP/START; set it only on their request.',
    },
  },
} as const;

export const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: str('Member id.', { pattern: '^[1-9][0-9]{0,8}$' }) },
} as const;

export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    role: { type: 'string', enum: [...ROLES], description: 'Only members with this role.' },
    optedOut: { type: 'string', enum: ['true', 'false'], description: 'Only opted-out (true) or opted-in (false) members.' },
    search: str('Part of a name, organisation, email or forum username; or a phone number in any format, or its last digits.', {
      maxLength: 200,
    }),
    limit: str('Members per page, 1 to 1000 (default 100).', { pattern: '^(1000|[1-9][0-9]{0,2})$' }),
    offset: str('Members to skip (default 0); members are ordered by name.', { pattern: '^[0-9]{1,9}$' }),
  },
} as const;

export const memberSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'A member of the network.',
  properties: {
    id: { type: 'integer', description: 'Member id.' },
    name: str('Full name.'),
    phone: str('Mobile number in E.164 ("+447700900123").'),
    email: nullableStr('Email address, or null.'),
    organisation: str('Organisation ("" if not known).'),
    role: { type: 'string', enum: [...ROLES], description: 'member or admin.' },
    forumUsername: nullableStr('Discourse username, or null.'),
    odsCode: nullableStr('ODS code of the member\'s organisation, or null ("no organisation").'),
    contactRole: { type: 'string', enum: [...CONTACT_ROLES], description: 'Contact role in the organisation.' },
    optedOut: { type: 'boolean', description: 'True after the member texted STOP: they get no alert texts.' },
    optedOutAt: nullableStr('When they opted out, or null.', { format: 'date-time' }),
    createdAt: str('When the member was added.', { format: 'date-time' }),
    updatedAt: str('When the member was last changed.', { format: 'date-time' }),
  },
} as const;

export const memberListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    members: { type: 'array', items: memberSchema, description: 'This page of members, by name.' },
    total: { type: 'integer', description: 'Members matching the filters, on all pages.' },
    limit: { type: 'integer', description: 'Page size used.' },
    offset: { type: 'integer', description: 'Members skipped.' },
  },
} as const;

export const importReportSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'What happened to each row. Rows are saved even when others are rejected.',
  properties: {
    added: { type: 'integer', description: 'Rows that added a new member.' },
    updated: { type: 'integer', description: 'Rows that changed an existing member (same phone number).' },
    unchanged: { type: 'integer', description: 'Rows that matched an existing member exactly.' },
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
          phone: str('The row\'s number in E.164, when it had a valid one.'),
          id: { type: 'integer', description: 'The member\'s id, when saved or unchanged.' },
          reason: str('Why the row was rejected.'),
        },
      },
    },
  },
} as const;
