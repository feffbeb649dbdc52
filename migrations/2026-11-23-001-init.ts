// Frozen in time: imports nothing from src/.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE members (
      id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      phone           text NOT NULL UNIQUE CHECK (phone ~ '^\\+[1-9][0-9]{5,14}$'),
      email           text CHECK (email IS NULL OR length(email) <= 320),
      organisation    text NOT NULL DEFAULT '' CHECK (length(organisation) <= 200),
      role            text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
      forum_username  text UNIQUE,
      opted_out       boolean NOT NULL DEFAULT false,
      opted_out_at    timestamptz,
      created_at      timestamptz NOT NULL DEFAULT now(),
      updated_at      timestamptz NOT NULL DEFAULT now()
    );

    -- One conversation per member: the state machine's state as JSON.
    CREATE TABLE conversations (
      member_id   integer PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
      state       jsonb NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now()
    );

    -- Every inbound webhook we accepted, keyed by Vonage's messageId: the de-duplication record.
    CREATE TABLE inbound_messages (
      message_id   text PRIMARY KEY,
      msisdn       text NOT NULL,
      text         text NOT NULL,
      type         text NOT NULL,
      concat_ref   text,
      concat_part  integer,
      concat_total integer,
      outcome      text NOT NULL,
      received_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX inbound_pending_parts ON inbound_messages (msisdn, concat_ref)
      WHERE outcome = 'part';

    -- Strangers get at most one reply a day.
    CREATE TABLE stranger_replies (
      phone          text PRIMARY KEY,
      last_reply_at  timestamptz NOT NULL
    );

    CREATE TABLE alerts (
      number            integer PRIMARY KEY,
      raised_by         integer REFERENCES members(id) ON DELETE SET NULL,
      raiser_name       text NOT NULL,
      raiser_org        text NOT NULL,
      summary           text NOT NULL,
      exercise          boolean NOT NULL DEFAULT false,
      source            text NOT NULL CHECK (source IN ('sms', 'forum', 'admin')),
      status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
      recipient_count   integer NOT NULL DEFAULT 0,
      forum_topic_id    integer,
      forum_topic_url   text,
      created_at        timestamptz NOT NULL DEFAULT now(),
      closed_at         timestamptz
    );

    -- Outbound work of every channel. A row is written in the transaction that decided it
    -- and sent by the dispatcher after commit.
    CREATE TABLE outbox (
      id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      channel           text NOT NULL CHECK (channel IN ('sms', 'email', 'forum')),
      kind              text NOT NULL,
      priority          smallint NOT NULL DEFAULT 1,
      alert_number      integer REFERENCES alerts(number),
      member_id         integer REFERENCES members(id) ON DELETE SET NULL,
      recipient         text NOT NULL,
      body              text NOT NULL,
      payload           jsonb,
      state             text NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'held')),
      attempts          integer NOT NULL DEFAULT 0,
      next_attempt_at   timestamptz NOT NULL DEFAULT now(),
      lease_until       timestamptz,
      last_error        text,
      provider_id       text,
      receipt_status    text,
      receipt_error     text,
      receipt_at        timestamptz,
      created_at        timestamptz NOT NULL DEFAULT now(),
      sent_at           timestamptz
    );
    CREATE INDEX outbox_due ON outbox (channel, priority, next_attempt_at, id)
      WHERE state = 'pending';
    CREATE INDEX outbox_leased ON outbox (lease_until) WHERE state = 'sending';
    CREATE INDEX outbox_alert ON outbox (alert_number, kind) WHERE alert_number IS NOT NULL;
    CREATE INDEX outbox_provider_id ON outbox (provider_id) WHERE provider_id IS NOT NULL;

    -- One row per member an alert went to: acknowledgement and reminder state.
    CREATE TABLE deliveries (
      alert_number   integer NOT NULL REFERENCES alerts(number),
      member_id      integer NOT NULL REFERENCES members(id) ON DELETE CASCADE,
      sms_outbox_id  bigint REFERENCES outbox(id),
      acked_at       timestamptz,
      reminded_at    timestamptz,
      created_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (alert_number, member_id)
    );
    CREATE INDEX deliveries_member ON deliveries (member_id, alert_number DESC);
    CREATE INDEX deliveries_unacked ON deliveries (alert_number) WHERE acked_at IS NULL AND reminded_at IS NULL;

    -- Shared send-rate state so several instances together keep the provider's limit.
    CREATE TABLE rate_limits (
      channel    text PRIMARY KEY,
      next_slot  timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO rate_limits (channel) VALUES ('sms'), ('email'), ('forum');

    CREATE TABLE settings (
      key    text PRIMARY KEY,
      value  jsonb NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE settings, rate_limits, deliveries, outbox, alerts, stranger_replies,
      inbound_messages, conversations, members;
  `.execute(db);
}
