// The next alert number, shared by peer alerts and advisories ("ACK 14" names either kind).
// Numbers are what members type: gapless, so taken under a transaction lock rather than a
// sequence. Hold the caller's transaction open only as long as the insert that uses it takes.
import { sql } from 'kysely';
import type { Tx } from './connect.js';

export async function nextAlertNumber(trx: Tx): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('batsignal.alert_number'))`.execute(trx);
  const r = await sql<{ next: number }>`SELECT coalesce(max(number), 0) + 1 AS next FROM alerts`.execute(trx);
  return r.rows[0]!.next;
}
