// The demo phone simulator: an SmsSender whose texts land in per-number inboxes in PostgreSQL
// (simulator_messages), used when there are no Vonage credentials. Nothing leaves the machine.
// Texts typed into a simulated phone go through the real inbound webhook (src/web/simulator.ts).
import { sql } from 'kysely';
import type { Database } from '../../db/connect.js';
import type { SimulatorDirection } from '../../db/schema.js';
import type { SendOutcome, SmsMessage, SmsSender } from '../../outbox/channel.js';

export interface SimulatedText {
  id: string;
  phone: string; // E.164 with '+'
  direction: SimulatorDirection; // in: the phone sent it to Batsignal; out: Batsignal sent it to the phone
  text: string;
  error: string | null;
  createdAt: Date;
}

/** Called after a simulated text is delivered to a phone (the web module turns it into a receipt). */
export type DeliveredListener = (msg: SmsMessage, providerId: string) => void;

export interface PhoneSimulator extends SmsSender {
  readonly name: 'simulator';
  /** Texts of these phones after id `after` (oldest first), at most `limit`. */
  messages(phones: readonly string[], after: string, limit: number): Promise<SimulatedText[]>;
  /** Stores a text a simulated phone sends, before it is handed to the inbound webhook. */
  recordInbound(phone: string, text: string, now: Date): Promise<SimulatedText>;
  /** Marks a stored inbound text as refused by the service (shown on the phone). */
  markRefused(id: string, error: string): Promise<void>;
  /** Registers the one listener told about each delivered text. */
  onDelivered(listener: DeliveredListener | undefined): void;
}

type Row = { id: string; phone: string; direction: SimulatorDirection; text: string; error: string | null; created_at: Date };
const toText = (r: Row): SimulatedText => ({
  id: r.id,
  phone: r.phone,
  direction: r.direction,
  text: r.text,
  error: r.error,
  createdAt: r.created_at,
});

export const SIMULATOR_ID_PREFIX = 'SIM';

export function createPhoneSimulator(db: Database): PhoneSimulator {
  let listener: DeliveredListener | undefined;
  return {
    name: 'simulator',

    async send(msg: SmsMessage): Promise<SendOutcome> {
      const phone = '+' + msg.to.replace(/^\+/, '');
      if (!/^\+[1-9]\d{5,14}$/.test(phone)) return { ok: false, retry: false, error: `simulator: "${msg.to}" is not a phone number` };
      try {
        // The outbox id is unique here: a resend after a crash between send and mark-sent stores once,
        // as a real handset would show a duplicate only if the provider really sent twice.
        const r = await sql<{ id: string }>`
          WITH ins AS (
            INSERT INTO simulator_messages (phone, direction, text, outbox_id)
            VALUES (${phone}, 'out', ${msg.text}, ${msg.id})
            ON CONFLICT (outbox_id) DO NOTHING
            RETURNING id
          )
          SELECT id FROM ins UNION ALL SELECT id FROM simulator_messages WHERE outbox_id = ${msg.id}
          LIMIT 1`.execute(db);
        const providerId = `${SIMULATOR_ID_PREFIX}${r.rows[0]!.id.padStart(13, '0')}`;
        try {
          listener?.(msg, providerId);
        } catch {
          // A receipt is a courtesy of the simulator; the text itself is delivered.
        }
        return { ok: true, providerId };
      } catch (err) {
        return { ok: false, retry: true, error: `simulator: ${err instanceof Error ? err.message : String(err)}` };
      }
    },

    async messages(phones, after, limit) {
      if (phones.length === 0) return [];
      const rows = await db
        .selectFrom('simulator_messages')
        .select(['id', 'phone', 'direction', 'text', 'error', 'created_at'])
        .where('phone', 'in', [...phones])
        .where('id', '>', after)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toText);
    },

    async recordInbound(phone, text, now) {
      const row = await db
        .insertInto('simulator_messages')
        .values({ phone, direction: 'in', text, created_at: now })
        .returning(['id', 'phone', 'direction', 'text', 'error', 'created_at'])
        .executeTakeFirstOrThrow();
      return toText(row);
    },

    async markRefused(id, error) {
      await db.updateTable('simulator_messages').set({ error }).where('id', '=', id).execute();
    },

    onDelivered(l) {
      listener = l;
    },
  };
}
