// JSON schemas of the admin alerts API: they validate requests, shape responses (fields not
// listed are never sent) and will generate the OpenAPI description, so every field says what it is.
import { RECIPIENT_FILTERS } from './queries.js';
import { coverageSummarySchema } from './coverage-schemas.js';
import { Type, type Static } from 'typebox';
import { HttpError } from '../http/errors.js';

/** Largest page of recipients or opt-outs; a larger `limit` is refused (400), not cut. */
export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

// Query strings stay strings (the app's validator does not coerce): digits only here, and the
// range is checked by pageOf, so a limit over MAX_PAGE gets a 400 that says so in plain words.
const paging = (what: string, order: string) => ({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: `${what} per page, 1 to ${MAX_PAGE} (default ${DEFAULT_PAGE}); more is refused (400).` })),
  offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: `${what} to skip (default 0), ${order}.` })),
});

/** limit and offset of a paged query, or a 400 naming what is wrong. */
export function pageOf(q: { limit?: string | undefined; offset?: string | undefined }): { limit: number; offset: number } {
  const limit = q.limit === undefined ? DEFAULT_PAGE : Number(q.limit);
  const offset = q.offset === undefined ? 0 : Number(q.offset);
  if (limit < 1 || limit > MAX_PAGE) {
    throw new HttpError('invalid_request', `limit must be between 1 and ${MAX_PAGE} (was ${q.limit}): ask for the next page with offset`);
  }
  return { limit, offset };
}

/** GET /api/alerts/:n/recipients(.csv): which recipients, and a page of them (JSON; the CSV is the whole list). */
export const RecipientsQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union(RECIPIENT_FILTERS.map((f) => Type.Literal(f)), {
        description:
          'Which recipients: unacknowledged (default: who to phone), acknowledged, failed (text not delivered), ' +
          'delivered (receipt says delivered), pending (no final receipt yet) or all.',
      }),
    ),
    ...paging('Recipients', 'by organisation, then name'),
  },
  { additionalProperties: false },
);
export type RecipientsQuery = Static<typeof RecipientsQuery>;

/** GET /api/opt-outs: a page of the members opted out. */
export const OptOutsQuery = Type.Object(paging('Members', 'most recent opt-out first'), { additionalProperties: false });
export type OptOutsQuery = Static<typeof OptOutsQuery>;

const int = (description: string) => ({ type: 'integer', description }) as const;
const time = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;
const nullableTime = (description: string) => ({ type: ['string', 'null'], format: 'date-time', description }) as const;

/** `:n` of every /api/alerts/:n route. */
export const alertParams = Type.Object(
  { n: Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'Alert number, as in "BATSIGNAL #12".' }) },
  { additionalProperties: false },
);

/** GET /api/alerts: a page of alerts, newest first. */
export const listQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: 'Alerts per page, 1 to 100 (default 20).' })),
    offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'Alerts to skip from the newest (default 0).' })),
  },
  { additionalProperties: false },
);


const counts = {
  type: 'object',
  additionalProperties: false,
  description: 'Counts over this alert\'s recipients, read together in one query.',
  properties: {
    recipients: int('Members the alert was sent to.'),
    queued: int('Texts not yet handed to the SMS provider.'),
    submitted: int('Texts accepted by the provider with no final delivery receipt yet.'),
    pending: int('queued + submitted: no final outcome yet.'),
    delivered: int('Texts with a "delivered" receipt.'),
    failed: int('Texts that failed to send or have a failed/rejected/expired receipt.'),
    acknowledged: int('Recipients who replied ACK.'),
    unacknowledged: int('Recipients who have not replied ACK.'),
    reminded: int('Recipients sent their one reminder text.'),
    optedOut: int('Recipients who have opted out (STOP) since the alert was sent.'),
  },
} as const;

export const alertSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    number: int('Alert number: what members type in "ACK 12".'),
    summary: { type: 'string', description: 'The raiser\'s one-text description.' },
    raiser: {
      type: 'object',
      additionalProperties: false,
      description: 'Who raised it, as shown in the broadcast.',
      properties: { name: { type: 'string' }, organisation: { type: 'string' } },
    },
    source: { type: 'string', enum: ['sms', 'forum', 'admin'], description: 'Where it was raised.' },
    exercise: { type: 'boolean', description: 'True for an exercise, not a real incident.' },
    kind: { type: 'string', enum: ['peer', 'advisory'], description: 'peer: raised by a member; advisory: a national advisory (GET /api/advisories/:n/organisations has its responses).' },
    status: { type: 'string', enum: ['open', 'closed'], description: 'closed after ALLCLEAR: no more reminders.' },
    createdAt: time('When the alert was confirmed.'),
    closedAt: nullableTime('When it was stood down, if it has been.'),
    lastAckAt: nullableTime('Time of the most recent acknowledgement.'),
    forumUrl: { type: ['string', 'null'], description: 'The forum topic for the alert, once posted.' },
    counts,
    optedOutMembers: int('Members opted out network-wide right now (they receive no alert texts).'),
    organisations: coverageSummarySchema,
  },
} as const;

export const alertListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    alerts: { type: 'array', items: alertSchema, description: 'Newest first.' },
    total: int('Alerts in all.'),
    limit: int('Page size used.'),
    offset: int('Alerts skipped.'),
    optedOutMembers: int('Members opted out network-wide right now.'),
  },
} as const;

export const recipientSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    memberId: int('Member id.'),
    name: { type: 'string' },
    organisation: { type: 'string' },
    phone: { type: 'string', description: 'E.164, e.g. +447700900123.' },
    optedOut: { type: 'boolean', description: 'Opted out since (no reminder will be sent).' },
    deliveryState: {
      type: 'string',
      enum: ['queued', 'submitted', 'delivered', 'failed'],
      description: 'queued: not yet with the provider; submitted: accepted, no final receipt; delivered; failed.',
    },
    receiptError: { type: ['string', 'null'], description: 'Provider error for a failed text.' },
    ackedAt: nullableTime('When the member acknowledged, if they have.'),
    remindedAt: nullableTime('When their reminder was queued, if it was.'),
  },
} as const;

export const recipientListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    alert: int('Alert number.'),
    state: { type: 'string', enum: [...RECIPIENT_FILTERS], description: 'Filter applied.' },
    count: int('Recipients on this page.'),
    total: int('Recipients matching the filter, on every page.'),
    limit: int('Page size used.'),
    offset: int('Recipients skipped.'),
    recipients: { type: 'array', items: recipientSchema, description: 'By organisation, then name.' },
  },
} as const;

export const optOutListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    count: int('Members on this page.'),
    total: int('Members opted out, on every page.'),
    limit: int('Page size used.'),
    offset: int('Members skipped.'),
    members: {
      type: 'array',
      description: 'Most recent first.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          memberId: int('Member id.'),
          name: { type: 'string' },
          organisation: { type: 'string' },
          phone: { type: 'string', description: 'E.164.' },
          optedOutAt: nullableTime('When they opted out.'),
        },
      },
    },
  },
} as const;
