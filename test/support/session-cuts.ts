import type { Warehouse } from '../../src/warehouse/connect-warehouse.ts';

// Triggers a test puts on the warehouse, as its owner (no right given to the engine's roles), that end the session
// writing a row (pg_terminate_backend of itself), as a database restart or an administrator would: the write and its
// transaction are lost with the session.

/**
 * The session that makes the `which`-th update of `pipeline`'s runs matching `when` (OLD/NEW in SQL), or each
 * of the `[first, last]` of them, is ended. `name` tells two cuts of one pipeline apart.
 */
export async function cutRunUpdate(
  owner: Warehouse,
  pipeline: string,
  when: string,
  which: number | [first: number, last: number],
  name = pipeline,
): Promise<void> {
  const tag = name.replace(/\W/g, '_');
  const nth = typeof which === 'number' ? `= ${which}` : `BETWEEN ${which[0]} AND ${which[1]}`;
  await owner.raw(`CREATE SEQUENCE cut_${tag}`);
  await owner.raw(`
    CREATE FUNCTION cut_${tag}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE n bigint;
    BEGIN
      IF NEW.pipeline = '${pipeline}' AND ${when} THEN
        n := nextval('cut_${tag}'); -- once: BETWEEN would read it twice
        IF n ${nth} THEN
          PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER cut_${tag} BEFORE UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION cut_${tag}();
  `);
}

/**
 * The first load of the file `file` loses its session (its source_files row is never written): an infrastructure
 * fault that ends that attempt.
 */
export async function cutFirstLoadOf(owner: Warehouse, file: string): Promise<void> {
  const tag = file.replace(/\W/g, '_');
  await owner.raw(`
    CREATE SEQUENCE load_${tag};
    CREATE FUNCTION load_${tag}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      IF NEW.name = '${file}' AND nextval('load_${tag}') = 1 THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER load_${tag} BEFORE INSERT ON source_files FOR EACH ROW EXECUTE FUNCTION load_${tag}();
  `);
}
