import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;
export type Tx = Transaction<DB>;

// timestamptz as Date (default), bigint (int8) stays a string: ids exceed 2^53 never in
// practice, but counts come back as int8 too, so count queries cast to int explicitly.
/**
 * A statement whose text starts with this comment runs as a named prepared statement on each
 * connection (parsed and planned once there, then only bound and executed): for the few hot
 * statements whose planning costs more than their execution. The inbound intake with its ACK
 * plans in 0.7 ms and executes in 0.25 ms (EXPLAIN ANALYZE SUMMARY, 1,800 members); PostgreSQL CPU
 * per ACK webhook 1.64/1.39 ms -> 0.66/0.70 ms with every statement of the ACK prepared (scratch,
 * backends' /proc CPU over 5,400 ACKs, A/B twice). Only for statements with a fixed text and a
 * fixed set of result columns (no SELECT *: a column added by a migration while an instance runs
 * would make its prepared statement fail with "cached plan must not change result type").
 */
export const PREPARED = '/* prepared */';

/**
 * A statement whose text starts with this is not sent at once: it waits on its connection for the
 * next statement and goes with it in one round trip (one extended-protocol batch with one Sync, as
 * PostgreSQL's pipelining does; the values stay bound parameters). For statements nobody reads the
 * result of (it comes back empty): BEGIN and the sender lock go with the inbound intake, a reply's
 * insert goes with COMMIT. Each round trip is a socket write and a wake-up on both sides: about 30%
 * of the webhook server's CPU profile was in writev/writeBuffer with an ACK at 4 round trips.
 * A statement that fails stops the batch (PostgreSQL skips the rest until the Sync) and its error is
 * the error of the statement the batch was sent with; the transaction is then aborted, as it would
 * be, and its owner rolls back. A ROLLBACK drops what is waiting. Statements run in order, each with
 * its own snapshot, so a lock taken by one is held before the next one reads.
 */
export const DEFERRED = '/* deferred */';

interface Statement {
  text: string;
  values: unknown[];
  /** The prepared statement's name on every connection (PREPARED), else undefined. */
  name: string | undefined;
}

const preparedNames = new Map<string, string>();
/** PREPARED after an optional DEFERRED: the statement's name. */
function preparedName(text: string): string | undefined {
  const rest = text.startsWith(DEFERRED) ? text.slice(DEFERRED.length).trimStart() : text;
  if (!rest.startsWith(PREPARED)) return undefined;
  let name = preparedNames.get(text);
  if (name === undefined) preparedNames.set(text, (name = `batsignal_${preparedNames.size}`));
  return name;
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(this) below
const plainQuery = pg.Client.prototype.query;
/** pg's own value mapping for bound parameters (Date, arrays, JSON...), as its Query uses. */
const pgUtils = (pg as unknown as { utils: { prepareValue(this: void, v: unknown): string | Buffer | null } }).utils;
const prepareValue = (v: unknown) => pgUtils.prepareValue(v);
const callPlain = (client: pg.Client, ...args: unknown[]) => (plainQuery as (...a: unknown[]) => Promise<pg.QueryResult>).call(client, ...args);
const sendOne = (client: pg.Client, s: Statement) => (s.name === undefined ? callPlain(client, s.text, s.values) : callPlain(client, { name: s.name, text: s.text, values: s.values }));

/** pg's Query, sending several statements before one Sync; its results are one per statement. */
class BatchQuery extends pg.Query {
  constructor(
    private readonly statements: { text: string; name: string | undefined; values: (string | Buffer | null)[] }[],
    callback: (err: Error | null, res: unknown) => void,
  ) {
    super({ text: '(batch)' });
    (this as unknown as { callback: typeof callback }).callback = callback;
  }
  requiresPreparation(): boolean {
    return true;
  }
  // pg's Query.prepare for one statement, once per statement (submit() corks the socket around it).
  prepare(connection: PgConnection): void {
    for (const s of this.statements) {
      if (s.name === undefined) connection.parse({ text: s.text, name: '', types: [] });
      connection.bind({ portal: '', statement: s.name ?? '', values: s.values, binary: false });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '', rows: 0 });
    }
    connection.sync();
  }
}

interface PgConnection {
  parsedStatements: Record<string, string>;
  parse(m: { text: string; name: string; types: number[] }): void;
  bind(m: { portal: string; statement: string; values: (string | Buffer | null)[]; binary: boolean }): void;
  describe(m: { type: 'P'; name: string }): void;
  execute(m: { portal: string; rows: number }): void;
  sync(): void;
}

const ROLLBACK = /^\s*rollback\s*;?\s*$/i;

/** The waiting statements with the one that sends them: one round trip, or one each if a prepared one is new here. */
async function sendBatch(client: PreparingClient, batch: Statement[]): Promise<pg.QueryResult> {
  const parsed = (client as unknown as { connection: PgConnection }).connection.parsedStatements;
  if (batch.some((s) => s.name !== undefined && parsed[s.name] !== s.text)) {
    // A prepared statement's first use on this connection: pg parses and records it (once per connection).
    let last!: pg.QueryResult;
    for (const s of batch) last = await sendOne(client, s);
    return last;
  }
  // Mapped before anything is written, so a value pg cannot send fails the batch before it starts.
  const statements = batch.map((s) => ({ text: s.text, name: s.name, values: s.values.map((v) => prepareValue(v)) }));
  return new Promise((resolve, reject) => {
    const q = new BatchQuery(statements, (err, res) => {
      if (err) reject(err);
      else resolve((Array.isArray(res) ? res[res.length - 1] : res) as pg.QueryResult);
    });
    void callPlain(client, q);
  });
}

/** pg.Client that sends PREPARED statements with a name (pg then skips the Parse after the first time) and holds DEFERRED ones. */
class PreparingClient extends pg.Client {
  /** DEFERRED statements waiting for the next one. */
  pending: Statement[] = [];
}
PreparingClient.prototype.query = function (this: PreparingClient, config: unknown, values?: unknown, callback?: unknown) {
  if (typeof config !== 'string' || callback !== undefined) {
    if (this.pending.length > 0) throw new Error('a deferred statement is waiting: the next statement must be a promise-style query text');
    return callPlain(this, config, values, callback);
  }
  const s: Statement = { text: config, values: Array.isArray(values) ? (values as unknown[]) : [], name: preparedName(config) };
  if (config.startsWith(DEFERRED)) {
    this.pending.push(s);
    return Promise.resolve({ command: 'DEFERRED', rowCount: 0, rows: [], fields: [] });
  }
  if (this.pending.length === 0) return sendOne(this, s);
  const batch = [...this.pending, s];
  this.pending = [];
  // Nothing that waited matters after a ROLLBACK.
  return ROLLBACK.test(config) ? sendOne(this, s) : sendBatch(this, batch);
} as typeof pg.Client.prototype.query;

/** `onConnect`: each new pool connection (tests count its round trips). */
export function connect(connectionString: string, poolSize = 10, opts: { onConnect?: (client: pg.PoolClient) => void } = {}): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize, Client: PreparingClient });
  if (opts.onConnect) pool.on('connect', opts.onConnect);
  // An idle client that loses its server (database restart) must not crash the process.
  pool.on('error', () => {});
  // Every DEFERRED statement is sent with its transaction's next statement or COMMIT; one still
  // waiting when its connection goes back to the pool is a bug, never carried to the next user.
  pool.on('release', (_err: unknown, client: pg.PoolClient) => {
    const c = client as unknown as PreparingClient;
    if (c.pending.length > 0) {
      console.error(`batsignal: ${c.pending.length} deferred statement(s) dropped at release: ${c.pending.map((p) => p.text.slice(0, 80)).join(' | ')}`);
      c.pending = [];
    }
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  connectionStrings.set(db, connectionString);
  return db;
}

const connectionStrings = new WeakMap<Database, string>();

/** Where `db` connects, for a dedicated client outside its pool (LISTEN); undefined if not made by connect(). */
export const connectionStringOf = (db: Database): string | undefined => connectionStrings.get(db);
