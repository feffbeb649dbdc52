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

const preparedNames = new Map<string, string>();
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(this) below
const plainQuery = pg.Client.prototype.query;

/** pg.Client that sends PREPARED statements with a name (pg then skips the Parse after the first time). */
class PreparingClient extends pg.Client {}
PreparingClient.prototype.query = function (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) {
  if (typeof config === 'string' && config.startsWith(PREPARED) && Array.isArray(values)) {
    let name = preparedNames.get(config);
    if (name === undefined) preparedNames.set(config, (name = `batsignal_${preparedNames.size}`));
    return (plainQuery as (...a: unknown[]) => unknown).call(this, { name, text: config, values }, callback);
  }
  return (plainQuery as (...a: unknown[]) => unknown).call(this, config, values, callback);
} as typeof pg.Client.prototype.query;

export function connect(connectionString: string, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize, Client: PreparingClient });
  // An idle client that loses its server (database restart) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  connectionStrings.set(db, connectionString);
  return db;
}

const connectionStrings = new WeakMap<Database, string>();

/** Where `db` connects, for a dedicated client outside its pool (LISTEN); undefined if not made by connect(). */
export const connectionStringOf = (db: Database): string | undefined => connectionStrings.get(db);
