// Demo members for a first run on the embedded defaults, so the phone simulator has phones to show.
// Clearly fake: "Demo - " names and numbers in Ofcom's drama block (07700 900001 on; 900000 is
// the default BATSIGNAL_NUMBER), which no real phone is ever given.
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';
import type { ContactRole, Role } from '../db/schema.js';
import { importOrganisationsIn } from './org-import.js';
import { SAMPLE_ORGANISATIONS_CSV } from './org-sample.js';

const SETTING = 'demo_members_offered';

// Each belongs to an organisation of the sample directory (docs/samples/organisations.csv).
export const DEMO_MEMBERS: { name: string; organisation: string; role: Role; ods_code: string; contact_role: ContactRole }[] = [
  { name: 'Demo - Alex Morgan', organisation: 'Demo Northtown Trust', role: 'admin', ods_code: 'RZN', contact_role: 'primary' },
  { name: 'Demo - Sam Patel', organisation: 'Demo Northshire ICB', role: 'member', ods_code: 'QZA', contact_role: 'primary' },
  { name: 'Demo - Jo Williams', organisation: 'Demo Eastfield Community Trust', role: 'member', ods_code: 'RZE', contact_role: 'primary' },
  { name: 'Demo - Chris Okafor', organisation: 'Demo Westbury Mental Health Trust', role: 'member', ods_code: 'RZW', contact_role: 'primary' },
  { name: 'Demo - Priya Shah', organisation: 'Demo Northtown Trust', role: 'member', ods_code: 'RZN', contact_role: 'deputy' },
  { name: 'Demo - Tom Evans', organisation: 'Demo Northshire CSU', role: 'member', ods_code: '0ZC', contact_role: 'primary' },
];

export const demoPhone = (i: number) => `+447700900${String(i + 1).padStart(3, '0')}`;

/**
 * Adds the demo members once per database, and only to an empty registry: an admin who deletes
 * them does not get them back on the next start. Returns how many were added.
 */
export async function seedDemoMembers(db: Database): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const first = await sql`
      INSERT INTO settings (key, value) VALUES (${SETTING}, 'true'::jsonb) ON CONFLICT (key) DO NOTHING RETURNING key
    `.execute(trx);
    if (first.rows.length === 0) return 0;
    if (await trx.selectFrom('members').select('id').limit(1).executeTakeFirst()) return 0;
    // The sample directory the demo members belong to (by ODS code: importing it again changes nothing).
    await importOrganisationsIn(trx, SAMPLE_ORGANISATIONS_CSV, new Date());
    const added = await trx
      .insertInto('members')
      // Pre-verified, and sent no welcome: their phones are the simulator's, so there is nothing to
      // check, and the walkthrough's phones start with the alert, not six welcome texts and JOINs.
      .values(DEMO_MEMBERS.map((m, i) => ({ ...m, phone: demoPhone(i), verified_at: new Date() })))
      .onConflict((oc) => oc.column('phone').doNothing())
      .returning('id')
      .execute();
    return added.length;
  });
}
