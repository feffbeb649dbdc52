// Multipart (concatenated) texts: parts are stored as they come, in any order, and the text is
// interpreted once all parts are in, or after config.concatTimeoutSeconds with what arrived.
// Groups are keyed on (msisdn, concat-ref); callers hold the sender lock (dedupe.ts).
import type { Tx } from '../db/connect.js';

/**
 * The most parts a text may have to be read: 10 parts is about 1,500 characters, more than any
 * command or description (600) needs. GSM allows 255 parts of up to 153 characters each, and Vonage
 * accepts 3,200 characters a part; a longer text is answered "too long" (pipeline.ts), not read.
 */
export const MAX_TEXT_PARTS = 10;

/** Marks where a part never arrived (GSM-7, so a broadcast stays cheap). */
export const MISSING_PART = '...';

export interface AssembledText {
  ref: string;
  text: string;
  partsReceived: number;
  partsExpected: number;
}

async function assemble(trx: Tx, msisdn: string, ref: string): Promise<AssembledText> {
  const rows = await trx
    .selectFrom('inbound_messages')
    .select(['message_id', 'text', 'concat_part', 'concat_total'])
    .where('msisdn', '=', msisdn)
    .where('concat_ref', '=', ref)
    .where('outcome', '=', 'part')
    .orderBy('concat_part')
    .orderBy('received_at')
    .forUpdate()
    .execute();
  // The same part under two messageIds (a carrier resend) counts once: the first one kept.
  const byPart = new Map<number, string>();
  let expected = 0;
  for (const r of rows) {
    if (!byPart.has(r.concat_part!)) byPart.set(r.concat_part!, r.text);
    expected = Math.max(expected, r.concat_total!);
  }
  let text = '';
  let gap = false;
  for (let n = 1; n <= expected; n++) {
    const part = byPart.get(n);
    if (part !== undefined) {
      text += (gap && !/^\s/.test(part) ? ' ' : '') + part;
      gap = false;
    } else if (!gap) {
      text += (text === '' || /\s$/.test(text) ? '' : ' ') + MISSING_PART;
      gap = true;
    }
  }
  return { ref, text: text.trim(), partsReceived: byPart.size, partsExpected: expected };
}

async function markAssembled(trx: Tx, msisdn: string, ref: string): Promise<void> {
  await trx
    .updateTable('inbound_messages')
    .set({ outcome: 'assembled' })
    .where('msisdn', '=', msisdn)
    .where('concat_ref', '=', ref)
    .where('outcome', '=', 'part')
    .execute();
}

/** The whole text once every part of the group is stored (parts then marked 'assembled'), else undefined. */
export async function assembleIfComplete(trx: Tx, msisdn: string, ref: string): Promise<AssembledText | undefined> {
  const group = await assemble(trx, msisdn, ref);
  if (group.partsReceived < group.partsExpected) return undefined;
  await markAssembled(trx, msisdn, ref);
  return group;
}

/** This sender's groups whose first part is older than the timeout, assembled with what arrived (oldest first). */
export async function takeStaleGroups(trx: Tx, msisdn: string, timeoutSeconds: number, now: Date): Promise<AssembledText[]> {
  const cutoff = new Date(now.getTime() - timeoutSeconds * 1000);
  const groups = await trx
    .selectFrom('inbound_messages')
    .select(['concat_ref'])
    .select((eb) => eb.fn.min('received_at').as('first'))
    .where('msisdn', '=', msisdn)
    .where('outcome', '=', 'part')
    .groupBy('concat_ref')
    .having((eb) => eb.fn.min('received_at'), '<=', cutoff)
    .orderBy('first')
    .execute();
  const out: AssembledText[] = [];
  for (const g of groups) {
    const group = await assemble(trx, msisdn, g.concat_ref!);
    await markAssembled(trx, msisdn, g.concat_ref!);
    out.push(group);
  }
  return out;
}

/** Senders with at least one group past the timeout: what the sweeper visits. */
export async function sendersWithStaleGroups(db: Pick<Tx, 'selectFrom'>, timeoutSeconds: number, now: Date, limit = 100): Promise<string[]> {
  const cutoff = new Date(now.getTime() - timeoutSeconds * 1000);
  const rows = await db
    .selectFrom('inbound_messages')
    .select('msisdn')
    .where('outcome', '=', 'part')
    .groupBy(['msisdn', 'concat_ref'])
    .having((eb) => eb.fn.min('received_at'), '<=', cutoff)
    .limit(limit)
    .execute();
  return [...new Set(rows.map((r) => r.msisdn))];
}

/** True when another part of this over-long group came recently (it was answered then). */
export async function tooLongGroupSeen(trx: Tx, msisdn: string, ref: string, timeoutSeconds: number, now: Date): Promise<boolean> {
  const since = new Date(now.getTime() - timeoutSeconds * 1000);
  const row = await trx
    .selectFrom('inbound_messages')
    .select('message_id')
    .where('msisdn', '=', msisdn)
    .where('concat_ref', '=', ref)
    .where('concat_total', '>', MAX_TEXT_PARTS)
    .where('received_at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
