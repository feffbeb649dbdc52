// CSV for spreadsheets: RFC 4180 quoting, plus a guard against formula injection. Pure.

// A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;
// ...but a plain signed number is only a number: E.164 phones (+447700900123) stay dialable.
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** One cell: neutralised if a spreadsheet would evaluate it, quoted if it needs quoting. */
export function csvCell(value: string | number | boolean | Date | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  if (FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Header row then rows, CRLF line ends, with a BOM so Excel reads UTF-8 names correctly. */
export function toCsv(header: readonly string[], rows: readonly (readonly Parameters<typeof csvCell>[0][])[]): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
