// Frozen in time: imports nothing from src/.
// Admins sign in as themselves (issue 17): a one-time code texted to an admin's phone, a session of
// their own (only a hash of its token is kept), and an audit log of every change made through the
// admin API or the pages, with who made it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE admin_signin_codes (
      id bigserial PRIMARY KEY,
      member_id integer NOT NULL REFERENCES members (id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      failed_attempts integer NOT NULL DEFAULT 0,
      used_at timestamptz,
      locked_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX admin_signin_codes_member ON admin_signin_codes (member_id, created_at DESC)`.execute(db);
  await sql`
    CREATE TABLE admin_sessions (
      id bigserial PRIMARY KEY,
      token_hash text NOT NULL UNIQUE,
      member_id integer NOT NULL REFERENCES members (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      revoked_at timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL,
      actor text NOT NULL,
      actor_member_id integer REFERENCES members (id) ON DELETE SET NULL,
      action text NOT NULL,
      target text,
      status integer NOT NULL,
      details jsonb
    )`.execute(db);
  await sql`CREATE INDEX audit_log_at ON audit_log (at DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_log`.execute(db);
  await sql`DROP TABLE admin_sessions`.execute(db);
  await sql`DROP TABLE admin_signin_codes`.execute(db);
}
