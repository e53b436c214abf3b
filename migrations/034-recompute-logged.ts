import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A pending timeliness flag, or a provisional notice deadline, is settled only by `calendar recompute`, a named
 * procedure with its row in `calendar_recomputes` (008). The guards checked only that the transaction said it was
 * a recompute (`SET LOCAL credit_etl.timeliness_recompute`), which any session of the engine's login can say: it
 * settled a late delivery as on time and logged nothing. Now the transaction must also write its log row: a
 * deferred check at commit finds the row of this transaction (`txid`, stamped by the database) for every flag or
 * deadline settled, and refuses the commit without one.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '034-recompute-logged');
  await knex.raw(`
    ALTER TABLE calendar_recomputes ADD COLUMN txid bigint;
    COMMENT ON COLUMN calendar_recomputes.txid IS 'the transaction that ran the recompute (034): what it settled must commit with this row';
    CREATE INDEX calendar_recomputes_txid ON calendar_recomputes (txid);

    CREATE FUNCTION calendar_recomputes_stamp() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      NEW.txid := txid_current();
      NEW.ran_at := now();
      RETURN NEW;
    END $$;
    CREATE TRIGGER calendar_recomputes_stamp BEFORE INSERT ON calendar_recomputes
      FOR EACH ROW EXECUTE FUNCTION calendar_recomputes_stamp();

    CREATE FUNCTION recompute_logged() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM calendar_recomputes WHERE txid = txid_current()) THEN
        RAISE EXCEPTION '% row % was settled outside a logged calendar recompute: only "credit-etl calendar recompute" settles it, with its calendar_recomputes row',
          TG_TABLE_NAME, OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER record_sources_recompute_logged AFTER UPDATE ON record_sources
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (OLD.late IS NULL AND NEW.late IS NOT NULL) EXECUTE FUNCTION recompute_logged();
    CREATE CONSTRAINT TRIGGER notices_recompute_logged AFTER UPDATE ON notices
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (OLD.provisional AND NOT NEW.provisional) EXECUTE FUNCTION recompute_logged();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER notices_recompute_logged ON notices;
    DROP TRIGGER record_sources_recompute_logged ON record_sources;
    DROP FUNCTION recompute_logged();
    DROP TRIGGER calendar_recomputes_stamp ON calendar_recomputes;
    DROP FUNCTION calendar_recomputes_stamp();
    DROP INDEX calendar_recomputes_txid;
    ALTER TABLE calendar_recomputes DROP COLUMN txid;
  `);
}
