// JSON schemas of the members admin API: they validate requests (unknown fields refused), shape
// responses (fields not listed are never sent) and generate the OpenAPI description. Written with
// TypeBox: the route types are derived from them (src/directory/routes.ts).
import { Type, type Static, type TArray, type TProperties, type TSchema } from 'typebox';
import { CONTACT_ROLES, ROLES } from '../db/schema.js';
import { DateTime, Nullable, StringEnum } from '../http/schema.js';
import { IMPORT_OUTCOMES } from './csv.js';

const str = (description: string, extra: Record<string, unknown> = {}) => Type.String({ description, ...extra });
const nullableStr = (description: string, extra: Record<string, unknown> = {}) => Nullable(Type.String({ description, ...extra }));

const editable = {
  name: str('Full name, as shown in alerts ("BATSIGNAL #12 from Jane Smith ...").', { minLength: 1, maxLength: 200 }),
  phone: str(
    'Mobile number in any common format ("07700 900123", "+44 7700 900123", "447700900123"); stored in E.164. ' +
      'National numbers are read in DEFAULT_COUNTRY.',
    { minLength: 1, maxLength: 40 },
  ),
  email: nullableStr('Email address for alert emails; null or "" for none.', { maxLength: 320 }),
  organisation: str('Organisation, as shown in alerts ("... (Northtown Trust)").', { maxLength: 200 }),
  role: StringEnum(ROLES, { description: 'admin: may ask STATUS of any alert by text.' }),
  forumUsername: nullableStr('Discourse username of this member (alerts raised on the forum map to them); null for none.', {
    maxLength: 60,
  }),
  odsCode: nullableStr('ODS code of the member\'s organisation in the directory (must exist there); null for none.', {
    pattern: '^[A-Za-z0-9]{3,6}$',
  }),
  contactRole: StringEnum(CONTACT_ROLES, {
    description: 'primary or deputy contact of the organisation (needs odsCode), or member (default). Deputies get a peer alert only when nobody at their organisation acknowledged in time.',
  }),
};

const { name, phone, ...rest } = editable;

export const createBody = Type.Object({ name, phone, ...Type.Partial(Type.Object(rest)).properties }, { additionalProperties: false });
export type CreateBody = Static<typeof createBody>;

export const patchBody = Type.Partial(
  Type.Object({
    ...editable,
    optedOut: Type.Boolean({ description: 'Opted out of alert texts. Members do this themselves with STOP/START; set it only on their request.' }),
  }),
  { additionalProperties: false, minProperties: 1 },
);
export type PatchBody = Static<typeof patchBody>;

export const idParams = Type.Object({ id: str('Member id.', { pattern: '^[1-9][0-9]{0,8}$' }) }, { additionalProperties: false });

export const listQuery = Type.Partial(
  Type.Object({
    role: StringEnum(ROLES, { description: 'Only members with this role.' }),
    optedOut: StringEnum(['true', 'false'], { description: 'Only opted-out (true) or opted-in (false) members.' }),
    verified: StringEnum(['true', 'false'], { description: 'Only members who replied JOIN to the welcome (true) or who have not (false).' }),
    undeliverable: StringEnum(['true', 'false'], { description: 'true: only members whose last text failed (a failed receipt or refused by the provider).' }),
    search: str('Part of a name, organisation, email or forum username; or a phone number in any format, or its last digits.', {
      maxLength: 200,
    }),
    limit: str('Members per page, 1 to 1000 (default 100).', { pattern: '^(1000|[1-9][0-9]{0,2})$' }),
    offset: str('Members to skip (default 0); members are ordered by name.', { pattern: '^[0-9]{1,9}$' }),
  }),
  { additionalProperties: false },
);

// Responses list no required fields (as before TypeBox): the serialiser writes what is there.
export const memberSchema = Type.Partial(
  Type.Object({
    id: Type.Integer({ description: 'Member id.' }),
    name: str('Full name.'),
    phone: str('Mobile number in E.164 ("+447700900123").'),
    email: nullableStr('Email address, or null.'),
    organisation: str('Organisation ("" if not known).'),
    role: StringEnum(ROLES, { description: 'member or admin.' }),
    forumUsername: nullableStr('Discourse username, or null.'),
    odsCode: nullableStr('ODS code of the member\'s organisation, or null ("no organisation").'),
    contactRole: StringEnum(CONTACT_ROLES, { description: 'Contact role in the organisation.' }),
    optedOut: Type.Boolean({ description: 'True after the member texted STOP: they get no alert texts.' }),
    optedOutAt: Nullable(DateTime('When they opted out, or null.')),
    createdAt: DateTime('When the member was added.'),
    updatedAt: DateTime('When the member was last changed.'),
    verifiedAt: Nullable(DateTime('When the member replied JOIN to the welcome text (their number is verified), or null. Alerts go to unverified members too.')),
    welcomedAt: Nullable(DateTime('When the welcome text was last sent, or null.')),
    lastText: Nullable(
      Type.Object(
        {
          outcome: StringEnum(['delivered', 'failed'], { description: 'delivered (receipt) or failed (failed receipt, or refused by the provider).' }),
          at: DateTime('When the outcome was known.'),
          error: nullableStr('Why it failed, as the provider said, or null.'),
        },
        { additionalProperties: false },
      ),
      { description: 'The last text to the member with a final outcome, or null. outcome failed: the number looks undeliverable.' },
    ),
  }),
  { additionalProperties: false, description: 'A member of the network.' },
);

/** A page of a listing: `key` holds the items (by name), with total, limit and offset. */
export function pageSchema<K extends string, T extends TSchema>(key: K, items: T, noun: string) {
  return Type.Partial(
    Type.Object({
      ...({ [key]: Type.Array(items, { description: `This page of ${noun}, by name.` }) } as Record<K, TArray<T>>),
      total: Type.Integer({ description: `${noun[0]!.toUpperCase()}${noun.slice(1)} matching the filters, on all pages.` }),
      limit: Type.Integer({ description: 'Page size used.' }),
      offset: Type.Integer({ description: `${noun[0]!.toUpperCase()}${noun.slice(1)} skipped.` }),
    }),
    { additionalProperties: false },
  );
}

export const memberListSchema = pageSchema('members', memberSchema, 'members');

/** The report of a CSV import (members or organisations): counts, then each data row's outcome with `rowFields`. */
export function importReportSchema<P extends TProperties>(noun: string, key: string, rowFields: P) {
  return Type.Partial(
    Type.Object({
      added: Type.Integer({ description: `Rows that added a new ${noun}.` }),
      updated: Type.Integer({ description: `Rows that changed an existing ${noun} (same ${key}).` }),
      unchanged: Type.Integer({ description: `Rows that matched an existing ${noun} exactly.` }),
      rejected: Type.Integer({ description: 'Rows not saved; see each row\'s reason.' }),
      rows: Type.Array(
        Type.Partial(
          Type.Object({
            row: Type.Integer({ description: 'Line of the file (the header is line 1).' }),
            outcome: StringEnum(IMPORT_OUTCOMES, { description: 'What happened to the row.' }),
            ...rowFields,
            reason: str('Why the row was rejected.'),
          }),
          { additionalProperties: false },
        ),
        { description: 'One entry per data row, in file order.' },
      ),
    }),
    { additionalProperties: false, description: 'What happened to each row. Good rows are saved even when others are rejected.' },
  );
}

export const memberImportReportSchema = importReportSchema('member', 'phone number', {
  phone: str('The row\'s number in E.164, when it had a valid one.'),
  id: Type.Integer({ description: 'The member\'s id, when saved or unchanged.' }),
});
