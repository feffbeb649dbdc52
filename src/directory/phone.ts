// Phone numbers: one normalisation for the member registry and for inbound texts.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

// Ofcom reserves 07700 900000-900999 for drama and testing: never assigned to a real phone,
// so libphonenumber-js calls them invalid. We accept exactly that block (demos and tests need
// numbers that look real and can never text a stranger); everything else must be valid.
const OFCOM_DRAMA = /^\+447700900\d{3}$/;

export function isDramaNumber(e164: string): boolean {
  return OFCOM_DRAMA.test(e164);
}

/** Parses a number as a person writes it ("07700 900123", "+44 (0)7700 900123", "0044 ..."). */
export function normalisePhone(input: string, defaultCountry: CountryCode): PhoneResult {
  const raw = input.trim();
  if (raw === '') return { ok: false, reason: 'phone number is empty' };
  if (!/^[+\d\s().-]+$/.test(raw)) return { ok: false, reason: `"${raw}" contains characters that are not part of a phone number` };
  // "+44 (0)7700..." is common in UK address books; the (0) is not dialled from abroad.
  const cleaned = raw.replace(/\(0\)/g, '').replace(/^00/, '+');
  const parsed = parsePhoneNumberFromString(cleaned, defaultCountry);
  if (!parsed) return { ok: false, reason: `"${raw}" is not a phone number` };
  const e164 = parsed.number;
  if (parsed.isValid() || isDramaNumber(e164)) return { ok: true, e164 };
  return { ok: false, reason: `"${raw}" is not a valid ${parsed.country ?? 'international'} number` };
}

/** Vonage writes numbers as international digits without '+' (msisdn, to). */
export function fromVonage(msisdn: string, defaultCountry: CountryCode): PhoneResult {
  const digits = msisdn.trim();
  if (!/^\d{6,15}$/.test(digits)) return { ok: false, reason: 'msisdn must be 6 to 15 digits' };
  return normalisePhone('+' + digits, defaultCountry);
}

export const toVonage = (e164: string): string => e164.replace(/^\+/, '');

/** For logs: never a whole number, just enough to tell two apart. */
export const maskPhone = (phone: string): string => `***${phone.slice(-3)}`;
