import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/** Blank in any way (033's rule): btrim() strips ASCII spaces only, not a tab or an ideographic space. */
const BLANK = String.raw`'^[\s\u00a0\u3000\u200b-\u200d\u2060\ufeff]*$'`;

/**
 * A file the CLI writes with resident ID numbers in clear (`report rejections|notice --unmasked`, `report notice
 * --template-unmasked`, `objection notify --unmasked`) is a view of unmasked personal data as much as an auditor's
 * unmask in the console, and is logged, with its reason, in the same append-only unmask_views (019; reasons 044)
 * before the file is written (src/cli/cli-unmask.ts). Such a view has no console user, so a row now names exactly
 * one viewer: a console user (`user_id` and `user_name`, as before) or the OS user who ran the command
 * (`cli_user`, never blank). Every row appended from now on also carries the database login it was written
 * through (`db_user`, session_user) and the database's clock (`at`), whatever the writer says (as 033 stamps
 * notice_events); rows logged before keep `db_user` null.
 *
 * Grants: the engine's login (credit_etl_loader) keeps 019's INSERT (the console, `report notice`, and
 * `report rejections` by a login that may act as it). An officer (`objection notify`, `report rejections`) and a
 * reader (`report rejections` by a read-only login) may append a command's view only: INSERT of (cli_user, what,
 * reason), nothing naming a console user or an address. UPDATE, DELETE and TRUNCATE stay refused for every role
 * (019's triggers).
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '049-unmask-views-from-the-cli');
  await knex.raw(`
    ALTER TABLE unmask_views
      ALTER COLUMN user_id DROP NOT NULL,
      ALTER COLUMN user_name DROP NOT NULL,
      ADD COLUMN cli_user text,
      ADD COLUMN db_user text,
      ADD CONSTRAINT unmask_views_one_viewer CHECK (
        CASE WHEN cli_user IS NULL THEN user_id IS NOT NULL AND user_name IS NOT NULL
             ELSE user_id IS NULL AND user_name IS NULL AND cli_user !~ ${BLANK} END
      );
    COMMENT ON TABLE unmask_views IS
      'every view of unmasked personal data: an auditor''s in the console, or a file the CLI wrote with --unmasked / --template-unmasked; who, when, what, why; append-only';
    COMMENT ON COLUMN unmask_views.user_id IS 'the console user who unmasked; null for a view by the CLI (cli_user)';
    COMMENT ON COLUMN unmask_views.cli_user IS
      'the OS user who ran the command that wrote ID numbers in clear; null for a view in the console (user_id)';
    COMMENT ON COLUMN unmask_views.db_user IS
      'session_user of the database session that logged the view (stamped); null for views logged before 049';

    CREATE FUNCTION unmask_views_stamp() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      NEW.db_user := session_user;
      NEW.at := clock_timestamp();
      RETURN NEW;
    END $$;
    CREATE TRIGGER unmask_views_stamp BEFORE INSERT ON unmask_views
      FOR EACH ROW EXECUTE FUNCTION unmask_views_stamp();
  `);
  const { officer, reader } = WAREHOUSE_ROLES;
  await grantTo(knex, 'INSERT (cli_user, what, reason)', 'unmask_views', officer, reader);
  await grantTo(knex, 'USAGE', 'SEQUENCE unmask_views_id_seq', officer, reader);
}

/** Refused while the log holds a command's view: the log keeps it, and 019's columns could not say who it was. */
export async function down(knex: Knex): Promise<void> {
  const { officer, reader } = WAREHOUSE_ROLES;
  await knex.raw(`
    REVOKE INSERT (cli_user, what, reason) ON unmask_views FROM ${officer}, ${reader};
    REVOKE USAGE ON SEQUENCE unmask_views_id_seq FROM ${officer}, ${reader};
    DROP TRIGGER unmask_views_stamp ON unmask_views;
    DROP FUNCTION unmask_views_stamp();
    ALTER TABLE unmask_views
      DROP CONSTRAINT unmask_views_one_viewer,
      ALTER COLUMN user_id SET NOT NULL,
      ALTER COLUMN user_name SET NOT NULL,
      DROP COLUMN cli_user,
      DROP COLUMN db_user;
    COMMENT ON TABLE unmask_views IS 'every view of unmasked personal data in the console (auditor): who, when, what; append-only';
    COMMENT ON COLUMN unmask_views.user_id IS NULL;
  `);
}
