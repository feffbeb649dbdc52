// Member fields as people type them (API, CLI, spreadsheet) -> the stored form, or a reason.
// Pure: shared by the HTTP routes, the CLI and the CSV import, so all three accept the same things.
import type { CountryCode } from 'libphonenumber-js';
import { ROLES, type ContactRole, type Role } from '../db/schema.js';
import { normalisePhone } from './phone.js';

export type Check<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A member as stored: phone in E.164, optional fields null. */
export interface MemberFields {
  name: string;
  phone: string;
  email: string | null;
  organisation: string;
  role: Role;
  forumUsername: string | null;
  /** The member's organisation in the directory (must exist there); null: none. */
  odsCode: string | null;
  contactRole: ContactRole;
}

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const no = (reason: string): Check<never> => ({ ok: false, reason });

// Deliberately loose: one @, no spaces, a dot in the domain. The mail server has the final word.
const EMAIL = /^[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;".]+$/;
// Discourse usernames: letters, digits, _ . - (its own rule is 3-20 by default; sites may widen it).
const FORUM_USERNAME = /^[\p{L}\p{N}_.-]{1,60}$/u;

// Control characters (NUL, which PostgreSQL text cannot hold, and the rest) and lone UTF-16
// surrogates (unencodable): no name, address or search has them; refuse rather than store or fail.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
const UNPRINTABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const hasUnprintable = (s: string): boolean => UNPRINTABLE.test(s);

export function checkName(raw: string): Check<string> {
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name === '') return no('name is empty');
  if (hasUnprintable(name)) return no('name contains control or invalid characters');
  if (name.length > 200) return no('name is longer than 200 characters');
  return ok(name);
}

export function checkEmail(raw: string | null | undefined): Check<string | null> {
  const email = (raw ?? '').trim();
  if (email === '') return ok(null);
  if (email.length > 320 || !EMAIL.test(email) || hasUnprintable(email)) return no(`"${email.slice(0, 80)}" is not an email address`);
  return ok(email);
}

export function checkOrganisation(raw: string | null | undefined): Check<string> {
  const org = (raw ?? '').trim().replace(/\s+/g, ' ');
  if (org.length > 200) return no('organisation is longer than 200 characters');
  if (hasUnprintable(org)) return no('organisation contains control or invalid characters');
  return ok(org);
}

export function checkRole(raw: string | null | undefined): Check<Role> {
  const role = (raw ?? '').trim().toLowerCase();
  if (role === '') return ok('member');
  const known = ROLES.find((r) => r === role);
  if (known) return ok(known);
  return no(`role must be ${ROLES.join(' or ')}, got "${role.slice(0, 40)}"`);
}

export function checkForumUsername(raw: string | null | undefined): Check<string | null> {
  const u = (raw ?? '').trim().replace(/^@/, '');
  if (u === '') return ok(null);
  if (!FORUM_USERNAME.test(u)) return no(`"${u.slice(0, 80)}" is not a forum username (letters, digits, _ . - only)`);
  return ok(u);
}

export function checkPhone(raw: string, country: CountryCode): Check<string> {
  const r = normalisePhone(raw, country);
  return r.ok ? ok(r.e164) : no(r.reason);
}

/** Blank -> null; "p84001" -> "P84001". (org-validate.ts has the organisation side; it imports this module.) */
export function checkMemberOdsCode(raw: string | null | undefined): Check<string | null> {
  const code = (raw ?? '').trim().toUpperCase();
  if (code === '') return ok(null);
  if (!/^[A-Z0-9]{3,6}$/.test(code)) return no(`ods_code "${(raw ?? '').trim().slice(0, 40)}" is not an ODS code (3-6 letters or digits)`);
  return ok(code);
}

export function checkContactRole(raw: string | null | undefined): Check<ContactRole> {
  const r = (raw ?? '').trim().toLowerCase();
  if (r === '' || r === 'member') return ok('member');
  if (r === 'primary' || r === 'deputy') return ok(r);
  return no(`contact_role "${(raw ?? '').trim().slice(0, 40)}" is not one of primary, deputy, member`);
}

export interface RawMember {
  name: string;
  phone: string;
  email?: string | null | undefined;
  organisation?: string | null | undefined;
  role?: string | null | undefined;
  forumUsername?: string | null | undefined;
  odsCode?: string | null | undefined;
  contactRole?: string | null | undefined;
}

/** Every field checked; the first problem is the reason (phone first: it is the member's key). */
export function checkMember(raw: RawMember, country: CountryCode): Check<MemberFields> {
  const phone = checkPhone(raw.phone, country);
  if (!phone.ok) return phone;
  const name = checkName(raw.name);
  if (!name.ok) return name;
  const email = checkEmail(raw.email);
  if (!email.ok) return email;
  const organisation = checkOrganisation(raw.organisation);
  if (!organisation.ok) return organisation;
  const role = checkRole(raw.role);
  if (!role.ok) return role;
  const forumUsername = checkForumUsername(raw.forumUsername);
  if (!forumUsername.ok) return forumUsername;
  const odsCode = checkMemberOdsCode(raw.odsCode);
  if (!odsCode.ok) return odsCode;
  const contactRole = checkContactRole(raw.contactRole);
  if (!contactRole.ok) return contactRole;
  if (contactRole.value !== 'member' && odsCode.value === null) return no(`contact_role ${contactRole.value} needs an ods_code`);
  return ok({
    odsCode: odsCode.value,
    contactRole: contactRole.value,
    name: name.value,
    phone: phone.value,
    email: email.value,
    organisation: organisation.value,
    role: role.value,
    forumUsername: forumUsername.value,
  });
}
