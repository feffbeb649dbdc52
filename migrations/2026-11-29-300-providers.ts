// Frozen in time: imports nothing from src/.
// Several SMS providers (Vonage SMS or Messages API, Twilio) with failover:
// - sms_providers: each provider's state, shared by every instance (taken out after repeated
//   failures, probed back in, or switched off by an admin);
// - rate_limits rows per provider ('sms:<name>'), so each provider's rate holds across instances;
// - inbound_messages.provider: which provider (number) a text came in through, so replies go back
//   the same way;
// - webhook_jtis: JWT ids of signed Messages API webhooks already accepted (replay protection).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE sms_providers (
      name             text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,30}$'),
      enabled          boolean NOT NULL DEFAULT true,
      disabled_reason  text,
      state            text NOT NULL DEFAULT 'up' CHECK (state IN ('up', 'down')),
      failures         integer NOT NULL DEFAULT 0,
      down_since       timestamptz,
      probe_at         timestamptz,
      last_error       text,
      last_failure_at  timestamptz,
      last_success_at  timestamptz,
      updated_at       timestamptz NOT NULL DEFAULT now()
    );

    INSERT INTO rate_limits (channel) VALUES ('sms:vonage'), ('sms:twilio') ON CONFLICT DO NOTHING;

    ALTER TABLE inbound_messages ADD COLUMN provider text;

    CREATE TABLE webhook_jtis (
      jti      text PRIMARY KEY,
      seen_at  timestamptz NOT NULL
    );
    CREATE INDEX webhook_jtis_seen ON webhook_jtis (seen_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE webhook_jtis;
    ALTER TABLE inbound_messages DROP COLUMN provider;
    DELETE FROM rate_limits WHERE channel IN ('sms:vonage', 'sms:twilio');
    DROP TABLE sms_providers;
  `.execute(db);
}
