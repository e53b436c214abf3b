import type { Knex } from 'knex';

/**
 * Timeliness is a flag, not a gate: a row received in a year the holiday calendar does not have yet is loaded
 * with `late` NULL (pending), and a review-notice deadline crossing such a year is counted Mon–Fri and marked
 * provisional. `credit-etl calendar recompute` settles both once the year is added (src/calendar/README.md).
 *
 * Lineage stays append-only (001, 007): the only change allowed outside a legal procedure is the recompute
 * turning a pending flag into a decided one — `late` and `working_days` of a row whose `late` is NULL, every
 * other column equal — and only inside a transaction that has set `credit_etl.timeliness_recompute`. Each
 * recompute writes a row to `calendar_recomputes`: who, when, with which calendar file and version, what changed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE record_sources ALTER COLUMN late DROP NOT NULL;
    ALTER TABLE record_sources ADD COLUMN pending_formation_date date;
    ALTER TABLE record_sources ADD CONSTRAINT record_sources_pending_has_formation
      CHECK (late IS NOT NULL OR pending_formation_date IS NOT NULL);
    COMMENT ON COLUMN record_sources.late IS 'NULL: pending, no calendar data yet for a year between formation and receipt';
    COMMENT ON COLUMN record_sources.pending_formation_date IS 'formation date of a row whose timeliness was pending: what the recompute counts from';
    CREATE INDEX record_sources_pending ON record_sources (id) WHERE late IS NULL;

    ALTER TABLE notices ADD COLUMN provisional boolean NOT NULL DEFAULT false;
    COMMENT ON COLUMN notices.provisional IS 'deadline counted Mon–Fri through a year without calendar data; recomputed by credit-etl calendar recompute';
    CREATE INDEX notices_provisional ON notices (id) WHERE provisional;

    CREATE TABLE calendar_recomputes (
      id bigserial PRIMARY KEY,
      ran_at timestamptz NOT NULL DEFAULT now(),
      ran_by text NOT NULL,
      calendar_file text NOT NULL,
      calendar_version text NOT NULL,
      calendar_years text NOT NULL,
      timeliness_decided integer NOT NULL,
      timeliness_late integer NOT NULL,
      timeliness_still_pending integer NOT NULL,
      deadlines_decided integer NOT NULL,
      deadlines_moved integer NOT NULL,
      deadlines_still_provisional integer NOT NULL
    );
    COMMENT ON TABLE calendar_recomputes IS 'every credit-etl calendar recompute: the named procedure that settles pending timeliness flags and provisional deadlines';

    CREATE FUNCTION record_sources_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('credit_etl.legal_procedure', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
      END IF;
      IF TG_OP = 'UPDATE' AND current_setting('credit_etl.timeliness_recompute', true) = 'on'
         AND OLD.late IS NULL AND NEW.late IS NOT NULL
         AND to_jsonb(NEW) - 'late' - 'working_days' = to_jsonb(OLD) - 'late' - 'working_days' THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION '% is append-only: rows are never updated or deleted outside a legal procedure', TG_TABLE_NAME;
    END $$;
    DROP TRIGGER record_sources_append_only ON record_sources;
    CREATE TRIGGER record_sources_append_only BEFORE UPDATE OR DELETE ON record_sources
      FOR EACH ROW EXECUTE FUNCTION record_sources_guard();
  `);
}

export async function down(knex: Knex): Promise<void> {
  // Lineage is never rewritten to make a migration fit: pending rows must be settled first.
  await knex.raw(`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM record_sources WHERE late IS NULL) THEN
        RAISE EXCEPTION 'record_sources has rows with pending timeliness: add the calendar year and run credit-etl calendar recompute before undoing 008';
      END IF;
    END $$;
    DROP TRIGGER record_sources_append_only ON record_sources;
    CREATE TRIGGER record_sources_append_only BEFORE UPDATE OR DELETE ON record_sources
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();
    DROP FUNCTION record_sources_guard();
    DROP TABLE calendar_recomputes;
    DROP INDEX notices_provisional;
    ALTER TABLE notices DROP COLUMN provisional;
    DROP INDEX record_sources_pending;
    ALTER TABLE record_sources DROP CONSTRAINT record_sources_pending_has_formation;
    ALTER TABLE record_sources DROP COLUMN pending_formation_date;
    ALTER TABLE record_sources ALTER COLUMN late SET NOT NULL;
  `);
}
