// Frozen in time: imports nothing from src/.
//
// National advisories. An advisory is an alert of kind 'advisory': it takes the next alert number
// (so "ACK 14" names either kind), and its contacts get deliveries rows like any alert's
// recipients (receipts, bare ACK, counts). Besides, per advisory: the organisations it targets,
// the contacts each is reached through, each organisation's response, and a log of every answer.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE alerts ADD COLUMN kind text NOT NULL DEFAULT 'peer' CHECK (kind IN ('peer', 'advisory'));

    CREATE TABLE advisories (
      number        integer PRIMARY KEY REFERENCES alerts(number),
      title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
      body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
      severity      text NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
      target        jsonb NOT NULL,
      window_hours  integer CHECK (window_hours IS NULL OR window_hours > 0),
      respond_by    timestamptz,
      remind_at     timestamptz,
      issued_via    text NOT NULL CHECK (issued_via IN ('api', 'cli', 'web')),
      created_at    timestamptz NOT NULL DEFAULT now()
    );

    -- One row per targeted organisation, with what it was when the advisory went out (name, type,
    -- routing): the record does not move when the directory changes later. No foreign key to
    -- organisations for the same reason.
    CREATE TABLE advisory_organisations (
      advisory           integer NOT NULL REFERENCES advisories(number),
      ods_code           text NOT NULL,
      name               text NOT NULL,
      type               text NOT NULL,
      routing            text NOT NULL CHECK (routing IN ('direct', 'via_support', 'both')),
      estate_unknown     boolean NOT NULL DEFAULT false,
      reachable          boolean NOT NULL DEFAULT false,
      response           text NOT NULL DEFAULT 'no_response'
                         CHECK (response IN ('no_response', 'acknowledged', 'affected', 'not_affected', 'resolved')),
      first_response_at  timestamptz,
      responded_at       timestamptz,
      responded_by       integer,
      responded_by_name  text,
      on_time            boolean,
      need_help_at       timestamptz,
      reminded_at        timestamptz,
      escalated_at       timestamptz,
      PRIMARY KEY (advisory, ods_code)
    );
    CREATE INDEX advisory_organisations_waiting ON advisory_organisations (advisory)
      WHERE response = 'no_response' AND (reminded_at IS NULL OR escalated_at IS NULL);

    -- Who answers for which organisation: routed contacts when it went out (direct, via_support),
    -- and those added at the deadline (deputy, own_primary). No foreign key to members: a deleted
    -- member's rows stay as history and simply join to nobody.
    CREATE TABLE advisory_contacts (
      advisory   integer NOT NULL,
      member_id  integer NOT NULL,
      ods_code   text NOT NULL,
      route      text NOT NULL CHECK (route IN ('direct', 'via_support', 'deputy', 'own_primary')),
      added_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (advisory, member_id, ods_code)
    );
    CREATE INDEX advisory_contacts_org ON advisory_contacts (advisory, ods_code);

    -- Every answer, per organisation it counted for: who, what, when, on time or late.
    CREATE TABLE advisory_answers (
      id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      advisory        integer NOT NULL,
      ods_code        text NOT NULL,
      member_id       integer,
      answer          text NOT NULL CHECK (answer IN ('ack', 'affected', 'not_affected', 'resolved', 'need_help')),
      response_after  text NOT NULL,
      on_time         boolean NOT NULL,
      text            text CHECK (text IS NULL OR length(text) <= 1000),
      answered_at     timestamptz NOT NULL
    );
    CREATE INDEX advisory_answers_org ON advisory_answers (advisory, ods_code, answered_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE advisory_answers, advisory_contacts, advisory_organisations, advisories;
    ALTER TABLE alerts DROP COLUMN kind;
  `.execute(db);
}
