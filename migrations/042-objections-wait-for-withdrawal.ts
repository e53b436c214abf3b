import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A withdrawn or superseded record takes no new objection, also while it is being withdrawn. 013/032's
 * objections_write() asked `EXISTS (… status = 'current')` in the statement's snapshot: an objection registered
 * while a procedure was withdrawing the record (an officer's `procedure withdraw`, a sibling objection's
 * `close --withdraw`, a provider's 撤销 delivery, `supersede`, `reattribute`) saw the record still current, waited
 * only in the foreign key's check for the procedure's row lock, and was stored once the withdrawal committed: an
 * objection on a withdrawn record, marked 异议处理中, that could only be closed as rejected and went overdue.
 *
 * The check now locks the record's row (FOR KEY SHARE) and reads its status under the lock. Every procedure that
 * ends a record locks its row FOR UPDATE before it changes the status (012's procedure_current_record,
 * procedure_supersede's pair, 015's provider_withdraw_delivered; only the procedure role changes a status, 012's
 * records_procedure_state_guard), and FOR UPDATE conflicts with FOR KEY SHARE: the registration waits for it, and
 * under READ COMMITTED the lock returns the row as that procedure committed it, so the objection is refused. The
 * other way round, a procedure waits for the registration and ends a record whose objection is already marked (the
 * objection then cites it with `--procedure`). KEY SHARE is the lock the foreign key takes anyway: a registration
 * waits for nothing it did not wait for before, in particular not for a delivery that merely moves the record to
 * a newer version (a delivery never changes a status), as FOR SHARE would.
 *
 * Locking a row needs the UPDATE privilege, which the officer does not have on records: the lock is taken by
 * `objection_record_status(record_id)`, SECURITY DEFINER and owned by the procedure role as 012's functions are,
 * executable by the officer and the engine (the roles that insert objections), returning the status and nothing
 * else. The trigger keeps its message.
 */
const { procedure, officer, loader } = WAREHOUSE_ROLES;

const STATUS_FUNCTION = 'objection_record_status(bigint)';

/** 032's: by privilege; the owner is whoever ran the migrations. */
const ENGINE_ONLY = `NOT (pg_has_role(current_user, '${officer}', 'USAGE')
        OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'objections'::regclass), 'USAGE'))`;

/** The record's status, read under the row lock (042). */
const LOCKED_CHECK = `objection_record_status(NEW.record_id) IS DISTINCT FROM 'current'`;
/** 013/032's check, in the statement's snapshot: kept for `down`. */
const SNAPSHOT_CHECK = `NOT EXISTS (SELECT 1 FROM records WHERE id = NEW.record_id AND status = 'current')`;

const objectionsWrite = (check: string, pinned: string) => `
    CREATE OR REPLACE FUNCTION objections_write() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'objections is append-only: an objection as received is never changed or removed; its steps go to objection_log';
      END IF;
      IF ${ENGINE_ONLY} AND NEW.channel <> 'provider' THEN
        RAISE EXCEPTION 'the engine may only open an objection a provider reported (channel provider): an officer registers the others'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF ${check} THEN
        RAISE EXCEPTION '记录 % 不存在或已不是现行记录（已撤销或被取代）：不能对其提出异议', NEW.record_id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '042-objections-wait-for-withdrawal');
  await knex.raw(`
    CREATE FUNCTION ${STATUS_FUNCTION} RETURNS text
    LANGUAGE sql SECURITY DEFINER ${pinned} AS $f$
      SELECT status FROM records WHERE id = $1 FOR KEY SHARE
    $f$;
  `);
  await knex.raw(`ALTER FUNCTION ${STATUS_FUNCTION} OWNER TO ${procedure}`);
  await knex.raw(`REVOKE ALL ON FUNCTION ${STATUS_FUNCTION} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${STATUS_FUNCTION} TO ${officer}, ${loader}`);
  await knex.raw(objectionsWrite(LOCKED_CHECK, pinned));
}

/** 032's objections_write(), as it was. */
export async function down(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '042-objections-wait-for-withdrawal');
  await knex.raw(objectionsWrite(SNAPSHOT_CHECK, pinned));
  await knex.raw(`DROP FUNCTION ${STATUS_FUNCTION}`);
}
