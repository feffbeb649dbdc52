// Importing the organisation directory from a spreadsheet: idempotent (the ODS code is the key),
// a per-row report (added / updated / unchanged / rejected with the reason), one bad row never
// loses the good ones, rows may name organisations defined further down the same file, and links
// that would close a cycle (A's parent is B, B's parent is A) are refused. One transaction, one
// INSERT ... ON CONFLICT statement for every good row; the links are foreign keys checked at commit.
import { sql } from 'kysely';
import type { Database, Tx } from '../db/connect.js';
import { HttpError } from '../http/errors.js';
import { parseSheet, type ImportOutcome, type SheetSpec } from './csv.js';
import { allLinks, lockDirectoryLinks } from './org-store.js';
import { checkOrganisation, findCycle, type OrganisationFields } from './org-validate.js';

export const ORG_REQUIRED = ['ods_code', 'name', 'type'] as const;
export const ORG_OPTIONAL = ['region', 'parent_ods_code', 'it_support_ods_code', 'routing', 'products'] as const;
export type OrgColumn = (typeof ORG_REQUIRED)[number] | (typeof ORG_OPTIONAL)[number];

export const ORGANISATION_SHEET: SheetSpec<OrgColumn> = {
  required: ORG_REQUIRED,
  optional: ORG_OPTIONAL,
  aliases: {
    ods: 'ods_code',
    organisation_code: 'ods_code',
    code: 'ods_code',
    organisation: 'name',
    organisation_name: 'name',
    parent: 'parent_ods_code',
    parent_code: 'parent_ods_code',
    it_support: 'it_support_ods_code',
    it_support_code: 'it_support_ods_code',
    support_ods_code: 'it_support_ods_code',
    estate: 'products',
  },
};

export type OrgImportOutcome = ImportOutcome;

export interface OrgImportRow {
  row: number;
  outcome: OrgImportOutcome;
  odsCode?: string;
  reason?: string;
}

export interface OrgImportReport {
  added: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rows: OrgImportRow[];
}

interface Candidate {
  row: number;
  org: OrganisationFields;
}

type Links = Map<string, { parent: string | null; support: string | null }>;

/**
 * The rows whose links hold: every link names an organisation in the directory or a good row of
 * this file, and no chain of parents (or of IT support units) comes back to where it started.
 * Rejecting a row can break a row that named it, so this repeats until nothing changes.
 * Columns the file does not have keep the directory's values, so they count as the stored links.
 */
export function resolveLinks(
  good: Candidate[],
  existing: Links,
  columns: { parent: boolean; support: boolean },
): { kept: Candidate[]; rejected: OrgImportRow[] } {
  const rejected: OrgImportRow[] = [];
  let kept = good;
  for (;;) {
    const links: Links = new Map(existing);
    for (const c of kept) {
      const before = existing.get(c.org.odsCode);
      links.set(c.org.odsCode, {
        parent: columns.parent ? c.org.parentOdsCode : (before?.parent ?? null),
        support: columns.support ? c.org.itSupportOdsCode : (before?.support ?? null),
      });
    }
    const bad = new Map<Candidate, string>();
    for (const c of kept) {
      const l = links.get(c.org.odsCode)!;
      if (l.parent && !links.has(l.parent)) bad.set(c, `parent_ods_code ${l.parent} is not in the directory or this file`);
      else if (l.support && !links.has(l.support)) bad.set(c, `it_support_ods_code ${l.support} is not in the directory or this file`);
      else {
        const p = findCycle(c.org.odsCode, (x) => links.get(x)?.parent);
        const s = p ? null : findCycle(c.org.odsCode, (x) => links.get(x)?.support);
        // Only the rows on the cycle are refused (not every row whose chain runs into it).
        if (p && p.includes(c.org.odsCode)) bad.set(c, `parent_ods_code makes a cycle: ${p.join(' -> ')}`);
        else if (s && s.includes(c.org.odsCode)) bad.set(c, `it_support_ods_code makes a cycle: ${s.join(' -> ')}`);
      }
    }
    if (bad.size === 0) return { kept, rejected };
    for (const [c, reason] of bad) rejected.push({ row: c.row, outcome: 'rejected', odsCode: c.org.odsCode, reason });
    kept = kept.filter((c) => !bad.has(c));
  }
}

/** Checks every row on its own; a repeated ODS code within the file: the first row wins. */
function candidates(text: string) {
  const { columns, rows } = parseSheet(text, ORGANISATION_SHEET);
  const good: Candidate[] = [];
  const rejected: OrgImportRow[] = [];
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (!r.cells) {
      rejected.push({ row: r.row, outcome: 'rejected', reason: r.error ?? 'could not be read' });
      continue;
    }
    const c = r.cells;
    const checked = checkOrganisation({
      odsCode: c.ods_code ?? '',
      name: c.name ?? '',
      type: c.type ?? '',
      region: c.region,
      parentOdsCode: c.parent_ods_code,
      itSupportOdsCode: c.it_support_ods_code,
      routing: c.routing,
      products: c.products,
    });
    if (!checked.ok) {
      const code = (c.ods_code ?? '').trim().toUpperCase();
      rejected.push({ row: r.row, outcome: 'rejected', ...(/^[A-Z0-9]{3,6}$/.test(code) && { odsCode: code }), reason: checked.reason });
      continue;
    }
    const o = checked.value;
    const same = seen.get(o.odsCode);
    if (same !== undefined) {
      rejected.push({ row: r.row, outcome: 'rejected', odsCode: o.odsCode, reason: `same ods_code as row ${same}` });
      continue;
    }
    seen.set(o.odsCode, r.row);
    good.push({ row: r.row, org: o });
  }
  const has = (col: OrgColumn) => columns.includes(col);
  return {
    good,
    rejected,
    columns: {
      region: has('region'),
      parent: has('parent_ods_code'),
      support: has('it_support_ods_code'),
      routing: has('routing'),
      products: has('products'),
    },
  };
}

export async function importOrganisations(db: Database, csv: string, now: Date): Promise<OrgImportReport> {
  const checked = candidates(csv); // a bad header fails here, before any transaction
  return db
    .transaction()
    .execute((trx) => importChecked(trx, checked, now))
    .catch((err: { code?: string }) => {
      // An organisation deleted through the API while we ran: nothing was written.
      if (err.code === '23503' || err.code === '23505' || err.code === '23514') {
        throw new HttpError('conflict', 'The directory changed while the file was being imported; nothing was saved. Import it again.');
      }
      throw new Error('import organisations', { cause: err });
    });
}

/** The same in the caller's transaction (the demo seeds the sample directory with its members). */
export async function importOrganisationsIn(trx: Tx, csv: string, now: Date): Promise<OrgImportReport> {
  return importChecked(trx, candidates(csv), now);
}

async function importChecked(trx: Tx, checked: ReturnType<typeof candidates>, now: Date): Promise<OrgImportReport> {
  const { good, rejected, columns } = checked;
  const report: OrgImportRow[] = [...rejected];
  await (async () => {
    // One writer of links at a time (imports, API edits): the cycle check stays true until commit.
    await lockDirectoryLinks(trx);
    const { kept, rejected: unlinked } = resolveLinks(good, await allLinks(trx), columns);
    report.push(...unlinked);
    // (A via_support row without an it_support_ods_code of its own was refused by org-validate.)
    if (kept.length === 0) return;

    const rows = kept.map((c) => ({
      ods_code: c.org.odsCode,
      name: c.org.name,
      type: c.org.type,
      region: c.org.region,
      parent_ods_code: c.org.parentOdsCode,
      it_support_ods_code: c.org.itSupportOdsCode,
      routing: c.org.routing,
      products: c.org.products,
    }));
    // Optional columns the file does not have keep what the directory holds.
    const keep = (has: boolean, col: string) => (has ? sql.raw(`EXCLUDED.${col}`) : sql.raw(`o.${col}`));
    const written = await sql<{ ods_code: string; inserted: boolean }>`
      INSERT INTO organisations AS o (ods_code, name, type, region, parent_ods_code, it_support_ods_code, routing, products, created_at, updated_at)
      SELECT x.ods_code, x.name, x.type, x.region, x.parent_ods_code, x.it_support_ods_code, x.routing,
             CASE WHEN x.products IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(x.products)) END,
             ${now}, ${now}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
        ods_code text, name text, type text, region text, parent_ods_code text, it_support_ods_code text,
        routing text, products jsonb)
      ON CONFLICT (ods_code) DO UPDATE SET
        name = EXCLUDED.name,
        type = EXCLUDED.type,
        region = ${keep(columns.region, 'region')},
        parent_ods_code = ${keep(columns.parent, 'parent_ods_code')},
        it_support_ods_code = ${keep(columns.support, 'it_support_ods_code')},
        routing = ${keep(columns.routing, 'routing')},
        products = ${keep(columns.products, 'products')},
        updated_at = ${now}
      WHERE (o.name, o.type, o.region, o.parent_ods_code, o.it_support_ods_code, o.routing, o.products)
            IS DISTINCT FROM
            (EXCLUDED.name, EXCLUDED.type, ${keep(columns.region, 'region')}, ${keep(columns.parent, 'parent_ods_code')},
             ${keep(columns.support, 'it_support_ods_code')}, ${keep(columns.routing, 'routing')}, ${keep(columns.products, 'products')})
      RETURNING o.ods_code, (o.xmax = 0) AS inserted`.execute(trx);
    const outcome = new Map(written.rows.map((w) => [w.ods_code, w.inserted]));
    for (const c of kept) {
      const w = outcome.get(c.org.odsCode);
      report.push({ row: c.row, outcome: w === undefined ? 'unchanged' : w ? 'added' : 'updated', odsCode: c.org.odsCode });
    }
    // Deferred link checks run now rather than at COMMIT, so a failure is reported here.
    await sql`SET CONSTRAINTS ALL IMMEDIATE`.execute(trx);
  })();

  report.sort((a, b) => a.row - b.row);
  const count = (o: OrgImportOutcome) => report.filter((r) => r.outcome === o).length;
  return { added: count('added'), updated: count('updated'), unchanged: count('unchanged'), rejected: count('rejected'), rows: report };
}
