import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/** The console's roles (issue #20); `provider` uploads its own deliveries (数据直报, Art. 11) and sees nothing else. */
export const CONSOLE_ROLES = ['viewer', 'auditor', 'admin', 'provider'] as const;

/**
 * Who may use the web console (`credit-etl serve`), their sessions, and the log of unmasked views.
 *
 * - `console_users`: a user is never deleted (the unmask log names them); `disabled_at` ends their access.
 *   The password is stored as an scrypt hash with its own salt and parameters (src/console/password-hash.ts).
 * - `console_sessions`: server-side sessions; the browser holds a random token, the table only its SHA-256, so
 *   reading the table does not let anyone take over a session. A session ends by expiry or logout
 *   (`ended_at`); rows stay, as a record of who was logged in when.
 * - `unmask_views`: every time an auditor showed a resident ID number unmasked: who, when, what. Append-only for
 *   every role, as the other logs (016): UPDATE, DELETE and TRUNCATE are refused by trigger.
 *
 * The console runs as the engine's role (credit_etl_loader): it appends here and changes only the bookkeeping
 * columns granted below.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE console_users (
      id bigserial PRIMARY KEY,
      name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
      role text NOT NULL CHECK (role IN (${CONSOLE_ROLES.map((role) => `'${role}'`).join(', ')})),
      provider_code text CHECK (btrim(provider_code) <> ''),
      password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
      created_at timestamptz NOT NULL DEFAULT now(),
      password_changed_at timestamptz NOT NULL DEFAULT now(),
      disabled_at timestamptz,
      CHECK ((role = 'provider') = (provider_code IS NOT NULL))
    );
    COMMENT ON TABLE console_users IS 'users of the web console (credit-etl users add|disable|list); never deleted: the unmask log names them';
    COMMENT ON COLUMN console_users.provider_code IS 'provider role only: the provider (USCC) whose deliveries the user may upload and see';
    COMMENT ON COLUMN console_users.password_hash IS 'scrypt$N$r$p$salt$hash (base64), see src/console/password-hash.ts';

    CREATE TABLE console_sessions (
      id bigserial PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES console_users (id),
      token_sha256 text NOT NULL UNIQUE,
      csrf_token text NOT NULL,
      ip text,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      ended_at timestamptz
    );
    COMMENT ON TABLE console_sessions IS 'server-side console sessions: the cookie holds a random token, this table its SHA-256';

    CREATE TABLE unmask_views (
      id bigserial PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES console_users (id),
      user_name text NOT NULL,
      what text NOT NULL CHECK (btrim(what) <> ''),
      ip text,
      at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    COMMENT ON TABLE unmask_views IS 'every view of unmasked personal data in the console (auditor): who, when, what; append-only';
    CREATE INDEX unmask_views_user ON unmask_views (user_id, id DESC);
    CREATE INDEX console_sessions_user ON console_sessions (user_id, id DESC);

    CREATE FUNCTION unmask_views_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'unmask_views is append-only: who saw unmasked personal data, and when, is never changed or removed';
    END $$;
    CREATE TRIGGER unmask_views_append_only BEFORE UPDATE OR DELETE ON unmask_views
      FOR EACH ROW EXECUTE FUNCTION unmask_views_append_only();
    CREATE TRIGGER unmask_views_no_truncate BEFORE TRUNCATE ON unmask_views
      FOR EACH STATEMENT EXECUTE FUNCTION unmask_views_append_only();

    -- A run's page shows its first rejected rows: in id order within the run, without sorting all of them.
    CREATE INDEX rejections_run_id ON rejections (run_id, id);
  `);
  const { loader } = WAREHOUSE_ROLES;
  await grantTo(knex, 'INSERT', 'console_users', loader);
  await grantTo(knex, 'UPDATE (password_hash, password_changed_at, disabled_at)', 'console_users', loader);
  await grantTo(knex, 'INSERT', 'console_sessions', loader);
  await grantTo(knex, 'UPDATE (ended_at)', 'console_sessions', loader);
  await grantTo(knex, 'INSERT', 'unmask_views', loader);
  for (const table of ['console_users', 'console_sessions', 'unmask_views'])
    await grantTo(knex, 'USAGE', `SEQUENCE ${table}_id_seq`, loader);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX rejections_run_id;
    DROP TABLE unmask_views;
    DROP FUNCTION unmask_views_append_only();
    DROP TABLE console_sessions;
    DROP TABLE console_users;
  `);
}
