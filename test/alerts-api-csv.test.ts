// CSV export of recipients: escaping, formula injection, both ways of asking for it.
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { freshDatabase } from './helpers/db.js';
import { addMembers, adminApp, ackBySql, bearer, markSent, raiseAlert } from './helpers/alert-fixtures.js';
import { csvCell, toCsv } from '../src/alerts/csv.js';

t.test('csvCell', async (t) => {
  const cases: [Parameters<typeof csvCell>[0], string][] = [
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    [' padded ', '" padded "'],
    ['=1+1', "'=1+1"],
    ['=HYPERLINK("http://evil.example","click")', `"'=HYPERLINK(""http://evil.example"",""click"")"`],
    ['+cmd|\' /C calc\'!A0', "'+cmd|' /C calc'!A0"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1', "'\t=1"],
    ['+447700900123', '+447700900123'], // a phone number is only a number
    ['-12', '-12'],
    ['', ''],
    [null, ''],
    [undefined, ''],
    [12, '12'],
    [true, 'true'],
    [new Date('2026-11-23T09:00:00Z'), '2026-11-23T09:00:00.000Z'],
    ['Zoë Ångström', 'Zoë Ångström'],
  ];
  for (const [input, want] of cases) t.equal(csvCell(input), want, JSON.stringify(input));
  const csv = toCsv(['a', 'b'], [['1', '=2']]);
  t.equal(csv, "\uFEFFa,b\r\n1,'=2\r\n", 'BOM, CRLF, trailing newline');
});

t.test('recipients CSV', async (t) => {
  const { db } = await freshDatabase(t);
  const [evil, quoted, plain] = (await addMembers(db, [
    { name: '=HYPERLINK("http://evil.example","Click me")', phone: '+447700900001', organisation: '@SUM(1+1)' },
    { name: 'O"Brien, Pat', phone: '+447700900002', organisation: 'North\nTrust' },
    { name: 'Zoë Ångström', phone: '+447700900003', organisation: '-Minus Trust' },
  ])) as [number, number, number];
  const n = await raiseAlert(db, new Date('2026-11-23T09:00:00Z'));
  await markSent(db, n, new Date('2026-11-23T09:01:00Z'), { memberIds: [evil], receipt: 'failed', error: '=cmd|"x"' });
  await ackBySql(db, n, plain, new Date('2026-11-23T09:05:00Z'));
  const app = await adminApp(db);
  t.teardown(() => app.close());

  const byPath = await app.inject({ url: `/api/alerts/${n}/recipients.csv?state=all`, headers: bearer });
  t.equal(byPath.statusCode, 200);
  t.match(byPath.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.equal(byPath.headers['content-disposition'], `attachment; filename="batsignal-${n}-all.csv"`);
  t.equal(byPath.headers['cache-control'], 'no-store');

  const byAccept = await app.inject({ url: `/api/alerts/${n}/recipients?state=all`, headers: { ...bearer, accept: 'text/csv' } });
  t.equal(byAccept.statusCode, 200);
  t.match(byAccept.headers['content-type'], /^text\/csv/);
  t.equal(byAccept.body, byPath.body, 'same CSV either way');

  const json = await app.inject({ url: `/api/alerts/${n}/recipients?state=all`, headers: { ...bearer, accept: 'application/json' } });
  t.match(json.headers['content-type'], /^application\/json/);

  const rows: string[][] = parse(byPath.body, { bom: true });
  t.same(rows[0], ['name', 'organisation', 'phone', 'delivery_state', 'receipt_error', 'acked_at', 'reminded_at', 'opted_out']);
  t.equal(rows.length, 4);
  const byPhone = new Map(rows.slice(1).map((r) => [r[2], r]));
  t.same(byPhone.get('+447700900001'), [
    `'=HYPERLINK("http://evil.example","Click me")`, "'@SUM(1+1)", '+447700900001', 'failed', `'=cmd|"x"`, '', '', 'no',
  ]);
  t.same(byPhone.get('+447700900002'), ['O"Brien, Pat', 'North\nTrust', '+447700900002', 'queued', '', '', '', 'no']);
  t.same(byPhone.get('+447700900003'), ['Zoë Ångström', "'-Minus Trust", '+447700900003', 'queued', '', '2026-11-23T09:05:00.000Z', '', 'no']);
  for (const r of rows) for (const cell of r) t.notMatch(cell, /^[=@]|^[+-](?!\d+$)/, `no live formula: ${cell}`);

  const unacked = await app.inject({ url: `/api/alerts/${n}/recipients.csv`, headers: bearer });
  t.equal(parse(unacked.body, { bom: true }).length, 3, 'default filter: unacknowledged (header + 2)');
  t.equal(unacked.headers['content-disposition'], `attachment; filename="batsignal-${n}-unacknowledged.csv"`);
  void quoted;

  const none = await app.inject({ url: `/api/alerts/${n}/recipients.csv` });
  t.equal(none.statusCode, 401);
  t.notMatch(none.body, /Brien/);
});
