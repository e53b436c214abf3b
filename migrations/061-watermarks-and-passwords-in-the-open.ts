import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * Two bookkeeping tables the engine's login (`credit_etl_loader`) may update took any change it made, whenever:
 *
 * - `watermarks` (UPDATE (position, updated_at), 010): one `UPDATE watermarks SET position = …` moved a 前置库
 *   table's saved position forwards (the rows in between were never read, nothing said so) or backwards (rows read
 *   again), with no batch, run or file to show for it. The engine moves a watermark only inside the transaction
 *   that loads the batch it covers (watermark-ledger.ts, called by load-staged.ts before the file's digest is set),
 *   so that is now the rule: an INSERT or UPDATE of a watermark, whoever asks (owner and superuser included, while
 *   triggers are on), is taken only while a file is being loaded in the same transaction (`loaded`, no digest yet,
 *   its run `running`: 052's test; a file another unit is loading is not visible before it commits, and sealed once
 *   it has), and the database records which file moved it (`source_file_id`) and when (`updated_at`), whatever the
 *   writer says. Not "never backwards": a position is the transport's JSON (`{cursor, tie, maxTie}`), ordered by
 *   the source's own column types, which the database does not know; the engine already moves one only from exactly
 *   where its batch began.
 * - `console_users` (UPDATE (password_hash, password_changed_at, disabled_at), 019): one `UPDATE console_users SET
 *   password_hash = …` took over a console account (an auditor's, an admin's) silently: the date of the last change
 *   stayed, the owner's sessions stayed open, and the hash could be put back afterwards. The writer is
 *   `credit-etl users add|password|disable`, which runs as the loader (engine duty, with-warehouse.ts), so the grant
 *   cannot be taken away without giving `users` a role of its own. The database now takes a change only as `users`
 *   makes it: a new password only with `password_changed_at` set to the transaction's time, that date never moved
 *   without one, a user disabled once at the time it is done and never enabled again; and a new password or a
 *   disabled user ends the user's open sessions (the console's login sees them ended), whoever changed it.
 *
 * `down` drops the triggers, their functions and the column.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '061-watermarks-and-passwords-in-the-open');
  await knex.raw(`
    ALTER TABLE watermarks ADD COLUMN source_file_id bigint REFERENCES source_files (id);
    COMMENT ON COLUMN watermarks.source_file_id IS
      'the file (batch) whose load transaction last moved the watermark, found by the database (061); null for a position saved before';

    CREATE FUNCTION watermarks_move_with_their_batch() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE batch bigint;
    BEGIN
      SELECT f.id INTO batch FROM runs r JOIN source_files f ON f.run_id = r.id
        WHERE r.status = 'running' AND f.status = 'loaded' AND f.digest IS NULL
        ORDER BY f.id DESC LIMIT 1;
      IF batch IS NULL THEN
        RAISE EXCEPTION '增量位置（watermark）% 只能在载入其所覆盖批次的事务中移动：本事务没有正在载入的文件，未移动 (watermarks: % of % refused: a watermark moves only in the transaction that loads the batch it covers, and none is being loaded in this one)',
          NEW.source, TG_OP, NEW.source
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'a table pipeline moves it with each batch (credit-etl run); a file being loaded is loaded, has no digest yet and its run is running';
      END IF;
      NEW.source_file_id := batch;
      NEW.updated_at := now();
      RETURN NEW;
    END $$;
    CREATE TRIGGER watermarks_move_with_their_batch BEFORE INSERT OR UPDATE ON watermarks
      FOR EACH ROW EXECUTE FUNCTION watermarks_move_with_their_batch();
    COMMENT ON TRIGGER watermarks_move_with_their_batch ON watermarks IS
      'a watermark moves only in the transaction loading the batch it covers, and names that file (061)';

    CREATE FUNCTION console_users_changed_as_users_command() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    DECLARE new_password boolean := NEW.password_hash IS DISTINCT FROM OLD.password_hash;
    BEGIN
      IF new_password AND NEW.password_changed_at IS DISTINCT FROM now() THEN
        RAISE EXCEPTION '控制台用户 % 的密码只能随 password_changed_at（本次更改的时间）一起更改，未更改 (console_users: the password of % changes only with password_changed_at set to the time of the change; nothing changed)',
          OLD.name, OLD.name
          USING ERRCODE = 'insufficient_privilege', HINT = 'credit-etl users password <name>';
      END IF;
      IF NOT new_password AND NEW.password_changed_at IS DISTINCT FROM OLD.password_changed_at THEN
        RAISE EXCEPTION '控制台用户 % 的 password_changed_at 只随新密码改变，未更改 (console_users: password_changed_at of % moves only with a new password; nothing changed)',
          OLD.name, OLD.name
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF NEW.disabled_at IS DISTINCT FROM OLD.disabled_at
         AND (OLD.disabled_at IS NOT NULL OR NEW.disabled_at IS DISTINCT FROM now()) THEN
        RAISE EXCEPTION '控制台用户 % 只能停用一次（disabled_at 为停用时间），停用后不再启用，未更改 (console_users: % is disabled once, at the time it is done, and never enabled again; nothing changed)',
          OLD.name, OLD.name
          USING ERRCODE = 'insufficient_privilege', HINT = 'credit-etl users disable <name>; a user disabled by mistake is added again under another name';
      END IF;
      IF new_password OR (OLD.disabled_at IS NULL AND NEW.disabled_at IS NOT NULL) THEN
        UPDATE console_sessions SET ended_at = now() WHERE user_id = OLD.id AND ended_at IS NULL;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER console_users_changed_as_users_command BEFORE UPDATE ON console_users
      FOR EACH ROW EXECUTE FUNCTION console_users_changed_as_users_command();
    COMMENT ON TRIGGER console_users_changed_as_users_command ON console_users IS
      'a password changes with its date and ends the sessions; a user is disabled once, now, for good (061)';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER console_users_changed_as_users_command ON console_users;
    DROP FUNCTION console_users_changed_as_users_command();
    DROP TRIGGER watermarks_move_with_their_batch ON watermarks;
    DROP FUNCTION watermarks_move_with_their_batch();
    ALTER TABLE watermarks DROP COLUMN source_file_id;
  `);
}
