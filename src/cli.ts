#!/usr/bin/env node
// The batsignal command line: the same jobs as the admin API, for an operator at a terminal.
// Settings come from the environment, as for the server (config.ts). With no DATABASE_URL it uses
// the embedded PostgreSQL in DATA_DIR, adopting the server's cluster if one is running there.
//
// Modules load when a command needs them: `members list` does not load the web app, and a usage
// error answers before PostgreSQL's client is loaded (0.9 s instead of 1.8 s under tsx, busy machine).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { configOrExit, type Config } from './config.js';
import { HttpError } from './http/errors.js';
import type { Runtime } from './runtime.js';
import type { MemberView } from './directory/store.js';
import type { Role } from './db/schema.js';
import type { OrganisationView } from './directory/org-store.js';

const USAGE = `Usage: batsignal <command>

Commands:
  serve                          start the service (same as npm start)
  migrate                        bring the database schema up to date
  members list [--json] [--role admin|member] [--search TEXT]
                                 list members (a table, or JSON with --json)
  members add --name NAME --phone PHONE [--email EMAIL] [--org ORGANISATION]
              [--role member|admin] [--forum-username USERNAME]
                                 add one member
  members import FILE            add or update members from a CSV file (- for stdin);
                                 header: name, phone, email, organisation, role[, forum_username,
                                 ods_code, contact_role]
  organisations list [--json] [--type TYPE] [--region REGION] [--search TEXT]
                                 list the organisation directory
  organisations import FILE      add or update organisations from a CSV file (- for stdin);
                                 header: ods_code, name, type[, region, parent_ods_code,
                                 it_support_ods_code, routing, products]
                                 (docs/samples/organisations.csv is an example)

  advisory send --title TEXT --body TEXT|--body-file FILE --severity high|medium|low
                 [--type T]... [--region R]... [--ods CODE]... [--product P]... [--all]
                 [--respond-within HOURS] [--exercise] [--dry-run] [--json]
                                 issue a national advisory (--dry-run: who it would reach, sends nothing)

Settings come from the environment (DATABASE_URL or DATA_DIR, DEFAULT_COUNTRY, ...).
Exit status: 0 done, 1 failed (or some import rows rejected), 2 bad usage or configuration.`;

class UsageError extends Error {}

/** parseArgs' own messages ("Unknown option '--nme'") become usage errors. */
function args<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function withDatabase<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const { openDatabase } = await import('./runtime.js');
  const rt = await openDatabase(config, (m) => console.error(m));
  try {
    return await fn(rt);
  } finally {
    await rt.close(); // an adopted cluster (the server's) is left running
  }
}

function table(members: MemberView[]): string {
  const rows = [['ID', 'NAME', 'PHONE', 'ROLE', 'ORGANISATION', 'OPTED OUT'], ...members.map((m) => [
    String(m.id), m.name, m.phone, m.role, m.organisation, m.optedOut ? 'yes' : '',
  ])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function membersList(config: Config, argv: string[]): Promise<number> {
  const { values } = args(() => parseArgs({ args: argv, options: { json: { type: 'boolean' }, role: { type: 'string' }, search: { type: 'string' } } }));
  if (values.role !== undefined && values.role !== 'admin' && values.role !== 'member') throw new UsageError('--role must be admin or member');
  const { listMembers } = await import('./directory/store.js');
  const all = await withDatabase(config, async ({ db }) => {
    const out: MemberView[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await listMembers(db, { role: values.role as Role | undefined, search: values.search, limit: 1000, offset }, config.defaultCountry);
      out.push(...page.members);
      if (out.length >= page.total || page.members.length === 0) return out;
    }
  });
  console.log(values.json ? JSON.stringify(all, null, 2) : all.length === 0 ? 'No members.' : table(all));
  return 0;
}

async function membersAdd(config: Config, argv: string[]): Promise<number> {
  const { values: v } = args(() => parseArgs({
    args: argv,
    options: {
      name: { type: 'string' }, phone: { type: 'string' }, email: { type: 'string' }, org: { type: 'string' },
      role: { type: 'string' }, 'forum-username': { type: 'string' },
    },
  }));
  if (v.name === undefined || v.phone === undefined) throw new UsageError('members add needs --name and --phone');
  const [{ checkMember }, { createMember }] = await Promise.all([import('./directory/validate.js'), import('./directory/store.js')]);
  const checked = checkMember({ name: v.name, phone: v.phone, email: v.email, organisation: v.org, role: v.role, forumUsername: v['forum-username'] }, config.defaultCountry);
  if (!checked.ok) {
    console.error(`Not added: ${checked.reason}`);
    return 1;
  }
  const m = await withDatabase(config, ({ db }) => createMember(db, checked.value, new Date()));
  console.log(`Added member ${m.id}: ${m.name} (${m.phone})${m.role === 'admin' ? ', admin' : ''}`);
  return 0;
}

async function membersImport(config: Config, argv: string[]): Promise<number> {
  const { positionals } = args(() => parseArgs({ args: argv, allowPositionals: true }));
  if (positionals.length !== 1) throw new UsageError('members import needs one FILE');
  const file = positionals[0]!;
  const [{ decodeCsv }, { importMembers }] = await Promise.all([import('./directory/csv.js'), import('./directory/import.js')]);
  let csv: string;
  try {
    csv = decodeCsv(file === '-' ? await readStdin() : await readFile(file));
  } catch (err) {
    console.error(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 1;
  }
  const r = await withDatabase(config, ({ db }) => importMembers(db, csv, config.defaultCountry, new Date()));
  console.log(`${file}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.rejected} rejected`);
  for (const row of r.rows) if (row.outcome === 'rejected') console.log(`  row ${row.row}: ${row.reason}`);
  if (r.rejected > 0) console.error(`${r.rejected} row${r.rejected > 1 ? 's were' : ' was'} not imported (the others were saved).`);
  return r.rejected > 0 ? 1 : 0;
}

function orgTable(orgs: OrganisationView[]): string {
  const rows = [['ODS', 'NAME', 'TYPE', 'REGION', 'PARENT', 'IT SUPPORT', 'ROUTING', 'PRODUCTS'], ...orgs.map((o) => [
    o.odsCode, o.name, o.type, o.region ?? '', o.parentOdsCode ?? '', o.itSupportOdsCode ?? '', o.effectiveRouting,
    o.products === null ? '(not known)' : o.products.join('; '),
  ])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function organisationsList(config: Config, argv: string[]): Promise<number> {
  const { values } = args(() =>
    parseArgs({ args: argv, options: { json: { type: 'boolean' }, type: { type: 'string' }, region: { type: 'string' }, search: { type: 'string' } } }),
  );
  const { checkOrgType } = await import('./directory/org-validate.js');
  let type: OrganisationView['type'] | undefined;
  if (values.type !== undefined) {
    const c = checkOrgType(values.type);
    if (!c.ok) throw new UsageError(`--type: ${c.reason}`);
    type = c.value;
  }
  const { listOrganisations } = await import('./directory/org-store.js');
  const all = await withDatabase(config, async ({ db }) => {
    const out: OrganisationView[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await listOrganisations(db, { type, region: values.region, search: values.search, limit: 1000, offset });
      out.push(...page.organisations);
      if (out.length >= page.total || page.organisations.length === 0) return out;
    }
  });
  console.log(values.json ? JSON.stringify(all, null, 2) : all.length === 0 ? 'No organisations.' : orgTable(all));
  return 0;
}

async function organisationsImport(config: Config, argv: string[]): Promise<number> {
  const { positionals } = args(() => parseArgs({ args: argv, allowPositionals: true }));
  if (positionals.length !== 1) throw new UsageError('organisations import needs one FILE');
  const file = positionals[0]!;
  const [{ decodeCsv }, { importOrganisations }] = await Promise.all([import('./directory/csv.js'), import('./directory/org-import.js')]);
  let csv: string;
  try {
    csv = decodeCsv(file === '-' ? await readStdin() : await readFile(file));
  } catch (err) {
    console.error(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 1;
  }
  const r = await withDatabase(config, ({ db }) => importOrganisations(db, csv, new Date()));
  console.log(`${file}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.rejected} rejected`);
  for (const row of r.rows) if (row.outcome === 'rejected') console.log(`  row ${row.row}${row.odsCode ? ` (${row.odsCode})` : ''}: ${row.reason}`);
  if (r.rejected > 0) console.error(`${r.rejected} row${r.rejected > 1 ? 's were' : ' was'} not imported (the others were saved).`);
  return r.rejected > 0 ? 1 : 0;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function advisorySend(config: Config, argv: string[]): Promise<number> {
  const { values: v } = args(() => parseArgs({
    args: argv,
    options: {
      title: { type: 'string' }, body: { type: 'string' }, 'body-file': { type: 'string' }, severity: { type: 'string' },
      type: { type: 'string', multiple: true }, region: { type: 'string', multiple: true }, ods: { type: 'string', multiple: true },
      product: { type: 'string', multiple: true }, all: { type: 'boolean' }, 'respond-within': { type: 'string' },
      exercise: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' },
    },
  }));
  const body = v['body-file'] !== undefined ? await readFile(v['body-file'], 'utf8') : (v.body ?? v.title);
  const target: Record<string, unknown> = {};
  if (v.all) target.all = true;
  if (v.type) target.types = v.type;
  if (v.region) target.regions = v.region;
  if (v.ods) target.odsCodes = v.ods;
  if (v.product) target.products = v.product;
  const hours = v['respond-within'];
  const request = {
    title: v.title, body, severity: v.severity, target,
    ...(hours !== undefined ? { respondWithinHours: Number(hours) } : {}),
    exercise: v.exercise === true, dryRun: v['dry-run'] === true,
  };
  const { sendAdvisory, summaryView } = await import('./advisories/service.js');
  const r = await withDatabase(config, ({ db }) => sendAdvisory({ db, email: config.smtp !== undefined }, request, new Date(), 'cli'));
  const view = summaryView(r);
  if (v.json) {
    console.log(JSON.stringify(view, null, 2));
    return 0;
  }
  const o = view.organisations;
  console.log(`${r.dryRun ? 'DRY RUN (nothing sent)' : `Advisory #${r.number} sent`}: ${o.targeted} organisations targeted, ${o.reachable} reachable, ${o.unreachable} unreachable, ${o.estateUnknown} with estate unknown; ${view.recipients} contacts${r.dryRun ? '' : ` (${view.texts} texts, ${view.emails} emails)`}.`);
  if (view.respondBy) console.log(`Respond by ${view.respondBy}.`);
  if ('preview' in r) {
    for (const org of r.preview) {
      const who = org.contacts.length === 0 ? 'UNREACHABLE' : org.contacts.map((c) => `${c.name} (${c.route})`).join(', ');
      console.log(`  ${org.odsCode.padEnd(6)}  ${org.name}${org.estateUnknown ? ' [estate unknown]' : ''}: ${who}`);
    }
  } else if (view.unreachableOrganisations.length > 0) {
    console.log(`Unreachable: ${view.unreachableOrganisations.map((u) => `${u.odsCode} ${u.name}`).join(', ')}`);
  }
  return 0;
}

async function migrate(config: Config): Promise<number> {
  const { migrator } = await import('./db/migrate.js');
  const done = await withDatabase(config, async ({ db }) => (await migrator(db).getMigrations()).filter((m) => m.executedAt));
  console.log(`Database schema up to date: ${done.length} migrations applied (latest ${done.at(-1)?.name ?? 'none'}).`);
  return 0;
}

async function run(argv: string[]): Promise<number | 'serving'> {
  const [command, sub, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!['serve', 'migrate', 'members', 'organisations', 'advisory'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (command === 'advisory' && sub !== 'send') throw new UsageError('advisory needs send');
  if (command !== 'members' && command !== 'organisations' && command !== 'advisory' && sub !== undefined) throw new UsageError(`${command} takes no arguments`);
  const config = configOrExit();
  if (command === 'serve') {
    const { serve } = await import('./main.js');
    await serve(config);
    return 'serving';
  }
  if (command === 'migrate') return migrate(config);
  if (command === 'organisations') {
    if (sub === 'list') return organisationsList(config, rest);
    if (sub === 'import') return organisationsImport(config, rest);
    throw new UsageError(sub === undefined ? 'organisations needs list or import' : `unknown organisations command "${sub}"`);
  }
  if (command === 'advisory') return advisorySend(config, rest);
  if (sub === 'list') return membersList(config, rest);
  if (sub === 'add') return membersAdd(config, rest);
  if (sub === 'import') return membersImport(config, rest);
  throw new UsageError(sub === undefined ? 'members needs list, add or import' : `unknown members command "${sub}"`);
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code !== 'serving') process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`batsignal: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof HttpError) {
      console.error(`batsignal: ${err.message}`); // e.g. a CSV header problem, a phone already taken
      process.exit(1);
    }
    console.error(`batsignal: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && err.cause) console.error(err.cause);
    process.exit(1);
  },
);
