// Text as members' phones send it, made plain: shared by the conversation's parser and the advisory form.

/**
 * Text as it can go out in a GSM-7 SMS: smart quotes, dashes and ellipses from phone keyboards
 * become their plain forms, control characters and runs of white space become one space.
 */
export function plainText(s: string): string {
  return s
    .normalize('NFC')
    .replace(/[\u2018\u2019\u201A\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u2033]/g, '"')
    .replace(/[\u2013\u2014\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .trim();
}
