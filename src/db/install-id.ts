// This installation's id, and the forum topic external_id made from it: how a retry finds a topic an
// earlier attempt created (written into the forum row when the alert is created, src/outbox/write.ts).
import { sql } from 'kysely';
import type { Database, Tx } from './connect.js';

const INSTALL_ID_SETTING = 'install_id';

/**
 * A short random id of this installation, made once. Alert numbers restart at 1 on a fresh
 * database, so `batsignal-1` alone could find an old install's topic and skip posting the new one.
 */
export async function installId(db: Database | Tx): Promise<string> {
  await sql`
    INSERT INTO settings (key, value) VALUES (${INSTALL_ID_SETTING}, to_jsonb(substr(md5(random()::text || clock_timestamp()::text), 1, 8)))
    ON CONFLICT (key) DO NOTHING`.execute(db);
  const row = await db.selectFrom('settings').select('value').where('key', '=', INSTALL_ID_SETTING).executeTakeFirstOrThrow();
  return String(row.value);
}

/** `batsignal-<install>-<number>`: Discourse allows [\w-]+, at most 50 characters. */
export function forumExternalId(install: string, alertNumber: number): string {
  const id = `batsignal-${install.replace(/[^\w-]/g, '').slice(0, 16)}-${alertNumber}`;
  if (id.length > 50) throw new Error(`external_id too long: ${id}`);
  return id;
}
