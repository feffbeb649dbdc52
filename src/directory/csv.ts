// Reading a member spreadsheet export: the header decides the columns; each data row comes back
// with its line number, or with the reason it could not be read. No database here.
import { parse } from 'csv-parse/sync';
import { HttpError } from '../http/errors.js';

/** What an import did with one row of a sheet (members and organisations alike). */
export const IMPORT_OUTCOMES = ['added', 'updated', 'unchanged', 'rejected'] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

export const REQUIRED_COLUMNS = ['name', 'phone', 'email', 'organisation', 'role'] as const;
export const OPTIONAL_COLUMNS = ['forum_username', 'ods_code', 'contact_role'] as const;
export type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** The columns a kind of spreadsheet has: the members' file, the organisations' file (org-import.ts). */
export interface SheetSpec<C extends string> {
  required: readonly C[];
  optional: readonly C[];
  aliases: Readonly<Record<string, C>>;
}

export const MEMBER_SHEET: SheetSpec<Column> = {
  required: REQUIRED_COLUMNS,
  optional: OPTIONAL_COLUMNS,
  aliases: { organization: 'organisation', forum_user: 'forum_username', ods: 'ods_code', organisation_code: 'ods_code' },
};

export interface SheetRow<C extends string> {
  /** Line in the file where the row ends (the header is line 1). */
  row: number;
  cells?: Partial<Record<C, string>>;
  /** Set when the row could not be read (wrong number of cells, a stray quote). */
  error?: string;
}

export type CsvRow = SheetRow<Column>;

export interface Sheet<C extends string> {
  columns: C[];
  rows: SheetRow<C>[];
}

export type MemberCsv = Sheet<Column>;

const badCsv = (message: string) => new HttpError('invalid_csv', message);

/**
 * The file's bytes as text. Excel's "CSV UTF-8" is UTF-8 (with a BOM); its plain "CSV (Comma
 * delimited)" is Windows-1252, where "Zoë" or "£" are not valid UTF-8: read those as Windows-1252
 * rather than storing U+FFFD in names. A charset the sender names (text/csv; charset=...) wins.
 */
export function decodeCsv(bytes: Uint8Array, charset?: string): string {
  if (charset && !/^utf-?8$/i.test(charset)) {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      throw new HttpError('unsupported_charset', `Unknown charset "${charset.slice(0, 40)}"; send the file as UTF-8.`);
    }
  }
  // Excel's "Unicode Text" is UTF-16 with a byte-order mark.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** "Forum Username", " PHONE " and "forum-username" all name a column. */
function columnName(raw: string, aliases: Readonly<Record<string, string>>): string {
  const n = raw.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return Object.hasOwn(aliases, n) ? aliases[n]! : n;
}

function readHeader<C extends string>(cells: string[], spec: SheetSpec<C>): C[] {
  const KNOWN: readonly string[] = [...spec.required, ...spec.optional];
  const REQUIRED_COLUMNS = spec.required;
  const OPTIONAL_COLUMNS = spec.optional;
  const names = cells.map((c) => columnName(c, spec.aliases));
  const unknown = names.find((n) => !KNOWN.includes(n));
  if (unknown !== undefined && cells.length === 1 && /[;\t]/.test(cells[0]!)) {
    throw badCsv(`The header row is separated by ${cells[0]!.includes(';') ? 'semicolons' : 'tabs'}; save the file as CSV (comma separated).`);
  }
  if (unknown !== undefined) {
    throw badCsv(
      unknown === ''
        ? `The header row has an empty column name; expected ${KNOWN.join(', ')}.`
        : `Unknown column "${unknown.slice(0, 60)}" in the header row; expected ${REQUIRED_COLUMNS.join(', ')} (and optionally ${OPTIONAL_COLUMNS.join(', ')}).`,
    );
  }
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw badCsv(`Column "${repeated}" appears twice in the header row.`);
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw badCsv(`The header row is missing the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; expected ${REQUIRED_COLUMNS.join(', ')}.`);
  }
  return names as C[];
}

export function parseMemberCsv(text: string): MemberCsv {
  return parseSheet(text, MEMBER_SHEET);
}

/** Reads a spreadsheet export whose header names the columns of `spec`. */
export function parseSheet<C extends string>(text: string, spec: SheetSpec<C>): Sheet<C> {
  const skipped: SheetRow<C>[] = [];
  const records = parse(text, {
    bom: true,
    info: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // Spreadsheets write \r\n, editors \n; a hand-edited file can mix them.
    record_delimiter: ['\r\n', '\n', '\r'],
    // A stray quote loses that row, not the file (an unclosed quote loses the rest, and says so).
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) skipped.push({ row: Number(err.lines), error: `could not be read: ${err.message}` });
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];

  // csv-parse reports an unclosed quote at the end of the file: name the row where it opened.
  const unclosed = skipped.find((s) => /^could not be read: Quote Not Closed/.test(s.error ?? ''));
  if (unclosed) {
    const last = unclosed.row;
    unclosed.row = (records.at(-1)?.info.lines ?? 0) + 1;
    const after = last - unclosed.row;
    unclosed.error = `has a quote (") that is never closed, so this row${after > 0 ? ` and the ${after} line${after > 1 ? 's' : ''} after it` : ''} could not be read`;
  }

  const first = records[0];
  // A skipped record before the first one read (or with none read) was the header.
  const header = skipped.find((s) => first === undefined || s.row <= first.info.lines);
  if (header) throw badCsv(`The header row ${header.error!.replace(/, so this row.*/, '')}.`);
  if (first === undefined) throw badCsv(`The file is empty: expected a header row (${spec.required.join(', ')}).`);
  const columns = readHeader(first.record, spec);

  const rows: SheetRow<C>[] = [...skipped];
  for (const { record, info } of records.slice(1)) {
    if (record.every((c) => c.trim() === '')) continue; // a blank spreadsheet row
    if (record.length !== columns.length) {
      rows.push({ row: info.lines, error: `has ${record.length} cells; the header has ${columns.length}` });
      continue;
    }
    const cells: Partial<Record<C, string>> = {};
    columns.forEach((c, i) => (cells[c] = record[i]!));
    rows.push({ row: info.lines, cells });
  }
  return { columns, rows: rows.sort((a, b) => a.row - b.row) };
}
