import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * An objection is registered with its open step, at the database's time. 013 granted INSERT on `objections` to
 * the officer and the engine so that `openObjectionOn` (src/warehouse/objection-log-repository.ts: `objection
 * open`, a provider's 异议 row in a delivery) could write the objection and then its open step, in one
 * transaction; nothing made the second follow the first, and `created_at` was the column's default, which the
 * writer could override. `SET ROLE credit_etl_officer; INSERT INTO objections (…, created_at) VALUES (…,
 * '2099-01-01')` was taken: an objection with no step, which `objection list`, `record` and `verify` (all read the
 * log) did not show, but which `alreadyRaised()` (provider-objections-repository.ts) counted as in progress, so
 * every later 异议 a provider sent for the record was dropped without a word; and a `created_at` of the writer's
 * (the open step's hash leaves it out: `to_jsonb(o) - 'created_at'`) took it out of `verify --since`.
 *
 * Now, for every role (the owner included, while triggers are on):
 * - a new objection's `created_at` is `now()`, the transaction's start (the default the engine relied on: a
 *   provider's objection and the version it was delivered with keep the same time, which alreadyRaised compares),
 *   whatever the INSERT says, as 041 and 046 stamp a version's and a record's (`objections_stamp`, before
 *   objections_write in name order; neither changes what the other reads);
 * - the transaction that inserts an objection commits only with the objection's open step in `objection_log` (a
 *   constraint trigger, DEFERRABLE INITIALLY DEFERRED, as 034's: checked at commit, so openObjectionOn's two
 *   statements pass; `SET CONSTRAINTS … IMMEDIATE` only makes it refuse at once). The log's trigger (013/032/038)
 *   already refuses a second open step and any step by the engine but a provider's opening, so exactly one open
 *   step, chained and hashed, goes with every objection from now on.
 * Objections written before stay as they are: the check fires on INSERT only.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '058-objection-opened-with-its-step');
  await knex.raw(`
    CREATE FUNCTION objections_stamp() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      NEW.created_at := now();
      RETURN NEW;
    END $$;
    CREATE TRIGGER objections_stamp BEFORE INSERT ON objections FOR EACH ROW
      WHEN (NEW.created_at IS DISTINCT FROM now()) EXECUTE FUNCTION objections_stamp();

    CREATE FUNCTION objection_opened_with_its_step() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM objection_log WHERE objection_id = NEW.id AND action = 'open') THEN
        RAISE EXCEPTION 'objection % has no open step in objection_log: an objection is registered with its open step in the same transaction (objection open, or a provider''s 异议 row in a delivery) / 异议 % 没有登记步骤：异议须与其登记（objection_log 的 open 步骤）在同一事务中写入', NEW.id, NEW.id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER objection_opened_with_its_step AFTER INSERT ON objections
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION objection_opened_with_its_step();
    COMMENT ON TRIGGER objection_opened_with_its_step ON objections IS
      'an objection commits only with its open step in objection_log (058): none is marked in progress without being registered';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER objection_opened_with_its_step ON objections;
    DROP FUNCTION objection_opened_with_its_step();
    DROP TRIGGER objections_stamp ON objections;
    DROP FUNCTION objections_stamp();
  `);
}
