// The command line, run as an operator runs it (tsx src/cli.ts ...) against this file's database.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { freshDatabase } from './helpers/db.js';

const TOKEN = 'test-admin-token-123456';

interface Run { code: number | null; out: string; err: string }

function cli(env: Record<string, string | undefined>, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    // node --import tsx: one process per run (the tsx binary starts a second one).
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

// About twenty CLI processes, each loading TypeScript through tsx: on a busy 2-core CI machine
// this file can outlast the suite's 120 s per-file limit (.taprc).
t.setTimeout(300_000);

t.test('migrate, members add/import/list, and the exit codes', async (t) => {
  const { db, url } = await freshDatabase(t);
  const env = { DATABASE_URL: url, ADMIN_TOKEN: TOKEN, DATA_DIR: undefined };
  const run = (...args: string[]) => cli(env, ...args);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-cli-'));
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  const migrate = await run('migrate');
  t.equal(migrate.code, 0, migrate.err);
  t.match(migrate.out, /Database schema up to date: \d+ migrations applied/);

  const add = await run('members', 'add', '--name', 'Jane Smith', '--phone', '07700 900123', '--org', 'Northtown Trust', '--role', 'admin', '--forum-username', 'jane');
  t.equal(add.code, 0, add.err);
  t.match(add.out, /Added member \d+: Jane Smith \(\+447700900123\), admin/);
  t.match(await db.selectFrom('members').selectAll().executeTakeFirst(), { phone: '+447700900123', role: 'admin', organisation: 'Northtown Trust', forum_username: 'jane' });

  const again = await run('members', 'add', '--name', 'Someone', '--phone', '+44 7700 900123');
  t.equal(again.code, 1);
  t.match(again.err, /already has the phone number \+447700900123/);
  const invalid = await run('members', 'add', '--name', 'Someone', '--phone', '0770');
  t.equal(invalid.code, 1);
  t.match(invalid.err, /Not added: "0770" is not a valid GB number/);

  const csv = file('members.csv', 'name,phone,email,organisation,role\nJane Smith,+447700900123,,Northtown Trust,admin\nAda,07700900124,ada@example.org,Southtown,member\nBad,12,,,\n');
  const imported = await run('members', 'import', csv);
  t.equal(imported.code, 1, 'a rejected row: exit 1');
  t.match(imported.out, /1 added, 0 updated, 1 unchanged, 1 rejected/);
  t.match(imported.out, /row 4: "12" is not/);
  t.match(imported.err, /1 row was not imported \(the others were saved\)/);
  const good = file('good.csv', 'name,phone,email,organisation,role\nAda,07700900124,ada@example.org,Southtown ICB,member\n');
  const reimport = await run('members', 'import', good);
  t.equal(reimport.code, 0, reimport.err);
  t.match(reimport.out, /0 added, 1 updated, 0 unchanged, 0 rejected/);

  const listed = await run('members', 'list', '--json');
  t.equal(listed.code, 0);
  t.same(JSON.parse(listed.out).map((m: { name: string; organisation: string }) => [m.name, m.organisation]), [
    ['Ada', 'Southtown ICB'], ['Jane Smith', 'Northtown Trust'],
  ]);
  const tableOut = await run('members', 'list', '--role', 'admin');
  t.match(tableOut.out, /^ID\s+NAME\s+PHONE\s+ROLE\s+ORGANISATION/);
  t.match(tableOut.out, /Jane Smith\s+\+447700900123\s+admin/);
  t.notMatch(tableOut.out, /Ada/);

  const header = await run('members', 'import', file('bad.csv', 'name,mobile\nA,1\n'));
  t.equal(header.code, 1);
  t.match(header.err, /Unknown column "mobile"/);
  const missing = await run('members', 'import', path.join(dir, 'nope.csv'));
  t.equal(missing.code, 1);
  t.match(missing.err, /Cannot read .*nope\.csv: ENOENT/);
  t.equal(Number((await db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), 2);

  // Excel's plain "CSV (Comma delimited)" is Windows-1252: read as such, not as broken UTF-8.
  const latin = path.join(dir, 'excel.csv');
  writeFileSync(latin, Buffer.from('name,phone,email,organisation,role\r\nZoë Brontë,07700900125,,Trust,member\r\n', 'latin1'));
  const excel = await run('members', 'import', latin);
  t.equal(excel.code, 0, 'a Windows-1252 file', { stderr: excel.err });
  t.match(await db.selectFrom('members').select('name').where('phone', '=', '+447700900125').executeTakeFirst(), { name: 'Zoë Brontë' });
});

t.test('organisations import and list; advisory send: a dry run sends nothing, a send texts each routed contact once, bad input a clear line', async (t) => {
  const { db, url } = await freshDatabase(t);
  const env = { DATABASE_URL: url, ADMIN_TOKEN: TOKEN, DATA_DIR: undefined };
  const run = (...args: string[]) => cli(env, ...args);
  const imported = await run('organisations', 'import', 'docs/samples/organisations.csv');
  t.equal(imported.code, 0, imported.err);
  t.match(imported.out, /11 added/);
  const listed = await run('organisations', 'list', '--json');
  t.equal(listed.code, 0, listed.err);
  t.equal(JSON.parse(listed.out).length, 11, 'the sample file holds eleven organisations');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'batsignal-cli-adv-'));
  const members = path.join(dir, 'contacts.csv');
  // RZN runs Citrix NetScaler; 0ZC (the CSU) runs it and answers for Z91004 (via its support unit,
  // no product list: estate unknown); RZW has no product list and no contact; RZS does not run it.
  writeFileSync(members, [
    'name,phone,email,organisation,role,ods_code,contact_role',
    'Rita Northtown,07700900201,,Northtown,member,RZN,primary',
    'Cal Support,07700900202,,Northshire CSU,member,0ZC,primary',
    'Pat Riverside,07700900204,,Riverside,member,Z91001,primary',
    'Sue Southtown,07700900205,,Southtown,member,RZS,primary',
  ].join('\n') + '\n');
  t.equal((await run('members', 'import', members)).code, 0);

  const args = ['advisory', 'send', '--title', 'Citrix NetScaler: session hijack, patch now', '--severity', 'high', '--product', 'citrix netscaler'];
  const dry = await run(...args, '--dry-run');
  t.equal(dry.code, 0, dry.err);
  t.match(dry.out, /^DRY RUN \(nothing sent\): 4 organisations targeted, 3 reachable, 1 unreachable, 2 with estate unknown; 2 contacts\./);
  t.match(dry.out, /RZW .*\[estate unknown\]: UNREACHABLE/);
  t.match(dry.out, /Z91004 .*\[estate unknown\]: Cal Support \(via_support\)/);
  const outbox = () => db.selectFrom('outbox').select(['recipient', 'body']).where('kind', '=', 'advisory').orderBy('recipient').execute();
  t.same(await outbox(), [], 'a dry run writes nothing to send');

  const sent = await run(...args);
  t.equal(sent.code, 0, sent.err);
  const number = Number(/^Advisory #(\d+) sent/.exec(sent.out)?.[1]);
  t.ok(number > 0, `numbered: ${sent.out.split('\n')[0]}`);
  const texts = await outbox();
  t.same(texts.map((r) => r.recipient), ['+447700900201', '+447700900202'], 'one text to each routed contact, none to a contact of an untargeted or via-support organisation');
  t.match(texts[1]!.body, /You answer for 2 organisations/, 'the CSU contact is told how many organisations they answer for');

  const bad = await run('advisory', 'send', '--title', 'x', '--severity', 'extreme', '--product', 'Citrix NetScaler');
  t.not(bad.code, 0, 'an unknown severity is refused');
  t.match(bad.err, /severity/);
  const nobody = await run('advisory', 'send', '--title', 'To nobody', '--severity', 'low');
  t.not(nobody.code, 0, 'an advisory with no target is refused');
  t.match(nobody.err, /target/);
  const unknown = await run(...args.slice(0, 6), '--ods', 'ZZZ99');
  t.not(unknown.code, 0);
  t.match(unknown.err, /unknown ODS code.*ZZZ99/);
  t.equal((await outbox()).length, 2, 'refused advisories wrote nothing');
});

t.test('bad usage and bad configuration: exit 2 with a clear line', async (t) => {
  const env = { DATABASE_URL: 'postgres://127.0.0.1:1/none', ADMIN_TOKEN: TOKEN };
  const cases: [string[], RegExp][] = [
    [[], /Usage: batsignal <command>/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['members'], /members needs list, add or import/],
    [['members', 'add', '--name', 'A'], /members add needs --name and --phone/],
    [['members', 'add', '--nmae', 'A'], /Unknown option '--nmae'/],
    [['members', 'import'], /members import needs one FILE/],
    [['members', 'list', '--role', 'boss'], /--role must be admin or member/],
    [['migrate', 'now'], /migrate takes no arguments/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(env, ...args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.out + r.err, message, args.join(' '));
  }
  const help = await cli(env, '--help');
  t.equal(help.code, 0);
  t.match(help.out, /members import FILE/);
  const config = await cli({ DATABASE_URL: 'postgres://127.0.0.1:1/none', ADMIN_TOKEN: undefined }, 'members', 'list');
  t.equal(config.code, 2);
  t.match(config.err, /Configuration error: ADMIN_TOKEN: is required when DATABASE_URL is set/);
});
