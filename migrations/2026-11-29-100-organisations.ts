// Frozen in time: imports nothing from src/.
//
// The directory of NHS organisations (trusts, GP practices, ICBs, CSUs, ...), members linked to
// them with a contact role, and what a peer alert needs to count coverage per organisation.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Lower-cased product names, for case-insensitive matching through a GIN index
    -- (products_lower && ARRAY['emis web']). NULL stays NULL: "estate unknown" is not "runs nothing".
    CREATE FUNCTION organisation_products_lower(p text[]) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $$ SELECT CASE WHEN p IS NULL THEN NULL ELSE ARRAY(SELECT lower(x) FROM unnest(p) AS x) END $$;

    CREATE TABLE organisations (
      ods_code             text PRIMARY KEY CHECK (ods_code ~ '^[A-Z0-9]{3,6}$'),
      name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      type                 text NOT NULL CHECK (type IN
                             ('trust', 'gp_practice', 'icb', 'csu', 'local_authority', 'social_care', 'other')),
      region               text CHECK (region IS NULL OR length(region) BETWEEN 1 AND 100),
      -- Links are checked at the end of the transaction, so one import may name an organisation
      -- before the row that defines it. Deleting an organisation something points at is refused.
      parent_ods_code      text REFERENCES organisations(ods_code) DEFERRABLE INITIALLY DEFERRED
                             CHECK (parent_ods_code <> ods_code),
      it_support_ods_code  text REFERENCES organisations(ods_code) DEFERRABLE INITIALLY DEFERRED
                             CHECK (it_support_ods_code <> ods_code),
      -- NULL: the default rule (direct, or both when the organisation has an IT support unit).
      routing              text CHECK (routing IN ('direct', 'via_support', 'both')),
      -- The estate. NULL: not known (an advisory about any product includes it, flagged);
      -- an empty list: known to run none of the products we track.
      products             text[] CHECK (products IS NULL OR cardinality(products) <= 200),
      products_lower       text[] GENERATED ALWAYS AS (organisation_products_lower(products)) STORED,
      created_at           timestamptz NOT NULL DEFAULT now(),
      updated_at           timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX organisations_type ON organisations (type);
    CREATE INDEX organisations_region ON organisations (lower(region));
    CREATE INDEX organisations_parent ON organisations (parent_ods_code) WHERE parent_ods_code IS NOT NULL;
    CREATE INDEX organisations_it_support ON organisations (it_support_ods_code) WHERE it_support_ods_code IS NOT NULL;
    CREATE INDEX organisations_products ON organisations USING gin (products_lower);

    ALTER TABLE members
      ADD COLUMN ods_code text REFERENCES organisations(ods_code),
      ADD COLUMN contact_role text NOT NULL DEFAULT 'member'
        CHECK (contact_role IN ('primary', 'deputy', 'member')),
      -- A primary or deputy contact is a contact for some organisation.
      ADD CONSTRAINT members_contact_needs_org CHECK (contact_role = 'member' OR ods_code IS NOT NULL);
    -- Contacts of an organisation (routing, escalation to deputies) and members per organisation.
    CREATE INDEX members_ods_code ON members (ods_code, contact_role) WHERE ods_code IS NOT NULL;

    -- Per delivery: the recipient's organisation when the alert went out (coverage groups by it
    -- without joining members, and does not move when a member changes organisation later), and
    -- their latest situation answer.
    ALTER TABLE deliveries
      ADD COLUMN ods_code text,
      ADD COLUMN contact_role text NOT NULL DEFAULT 'member',
      ADD COLUMN escalated boolean NOT NULL DEFAULT false,
      ADD COLUMN situation text CHECK (situation IN ('affected', 'not_affected', 'need_help')),
      ADD COLUMN situation_at timestamptz,
      ADD COLUMN situation_text text CHECK (situation_text IS NULL OR length(situation_text) <= 1000);
    CREATE INDEX deliveries_org_acked ON deliveries (alert_number, ods_code)
      WHERE acked_at IS NOT NULL AND ods_code IS NOT NULL;

    -- One row per organisation a peer alert concerns (it has recipients or held-back deputies):
    -- escalated_at is set, once, in the transaction that queues the deputies' texts.
    CREATE TABLE alert_organisations (
      alert_number  integer NOT NULL REFERENCES alerts(number),
      ods_code      text NOT NULL,
      escalated_at  timestamptz,
      PRIMARY KEY (alert_number, ods_code)
    );
    CREATE INDEX alert_organisations_due ON alert_organisations (alert_number) WHERE escalated_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE alert_organisations;
    DROP INDEX deliveries_org_acked;
    ALTER TABLE deliveries DROP COLUMN ods_code, DROP COLUMN contact_role, DROP COLUMN escalated,
      DROP COLUMN situation, DROP COLUMN situation_at, DROP COLUMN situation_text;
    ALTER TABLE members DROP CONSTRAINT members_contact_needs_org, DROP COLUMN contact_role, DROP COLUMN ods_code;
    DROP TABLE organisations;
    DROP FUNCTION organisation_products_lower(text[]);
  `.execute(db);
}
