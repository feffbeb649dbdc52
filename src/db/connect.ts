import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;
export type Tx = Transaction<DB>;

// timestamptz as Date (default), bigint (int8) stays a string: ids exceed 2^53 never in
// practice, but counts come back as int8 too, so count queries cast to int explicitly.
export function connect(connectionString: string, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle client that loses its server (database restart) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  connectionStrings.set(db, connectionString);
  return db;
}

const connectionStrings = new WeakMap<Database, string>();

/** Where `db` connects, for a dedicated client outside its pool (LISTEN); undefined if not made by connect(). */
export const connectionStringOf = (db: Database): string | undefined => connectionStrings.get(db);
