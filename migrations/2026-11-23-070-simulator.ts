// Frozen in time: imports nothing from src/.
// The demo phone simulator's inboxes: every text a simulated phone sent or received. Kept in
// PostgreSQL so a restart keeps the conversation and several browser tabs see the same phones.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE simulator_messages (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      phone       text NOT NULL CHECK (phone ~ '^\\+[1-9][0-9]{5,14}$'),
      direction   text NOT NULL CHECK (direction IN ('in', 'out')),
      text        text NOT NULL,
      -- out: the outbox row id the dispatcher sent (client-ref); a resend after a crash stores once.
      outbox_id   text UNIQUE,
      -- in: why the service refused the text, when it did (shown on the phone like "not delivered").
      error       text,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX simulator_messages_phone ON simulator_messages (phone, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE simulator_messages`.execute(db);
}
