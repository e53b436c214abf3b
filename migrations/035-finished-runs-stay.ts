import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A run's outcome, once it has one, stays. The engine's login may update a run's status, counts, errors and
 * finish (010: it finishes its own runs), and nothing stopped it from rewriting a finished run: a `failed-threshold`
 * night made `completed`, a failure's reason blanked, or the log heads a `verify` run stored (the anchor the next
 * verify checks the procedure and objection logs against, `log-cut-back`) set back to hide a deleted log entry.
 * A run still `running` may be finished once; after that only its attempt count moves, and only up (a pipeline's
 * retries are counted onto the attempt's run after it ended). This holds for every role, the owner included: no
 * step of the engine rewrites a finished run.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '035-finished-runs-stay');
  await knex.raw(`
    CREATE FUNCTION runs_finished_stay() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF OLD.status <> 'running' AND (to_jsonb(NEW) - 'attempts') IS DISTINCT FROM (to_jsonb(OLD) - 'attempts') THEN
        RAISE EXCEPTION 'runs: run % ended % and stays so (only its attempt count may still go up)', OLD.id, OLD.status
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF NEW.attempts < OLD.attempts THEN
        RAISE EXCEPTION 'runs: run % took % attempt(s); the count only goes up', OLD.id, OLD.attempts
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER runs_finished_stay BEFORE UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION runs_finished_stay();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER runs_finished_stay ON runs;
    DROP FUNCTION runs_finished_stay();
  `);
}
