import type { Knex } from 'knex';

/**
 * The version-chain trigger (011) writes the text it hashes key by key instead of calling version_chain_hash():
 * the same text, byte for byte, at about half the cost. The function converts the whole row to jsonb (the data
 * copied in and taken out again), strips nulls, and runs under its own TimeZone setting, which keeps it from
 * being inlined; that was 35–45 µs of the ~60 µs a first load spends on each version (100,000 versions, measured
 * alternating: 4.5–6.1 s against 3.0–3.3 s with this trigger, 1.2 s with none).
 *
 * version_chain_hash() stays the definition: `verify` recomputes every chain with it, so a key this text leaves
 * out (a column added to record_versions later) fails verification at once, and version-chain-text.test.ts
 * compares the two on every shape of row. The text: what `jsonb_strip_nulls(to_jsonb(version) - 'chain_hash' -
 * 'data')::text` prints, keys in jsonb's order (shorter first, then bytewise), created_at in UTC as the function's
 * setting prints it; then the data's own text. A created_at outside years 1–9999 takes the function.
 */
const CHAIN_TEXT = `
  '{"id": ' || NEW.id
  || ', "record_id": ' || NEW.record_id
  || ', "created_at": ' || rtrim(to_json(NEW.created_at AT TIME ZONE 'UTC')::text, '"') || '+00:00"'
  || CASE WHEN NEW.row_number IS NULL THEN '' ELSE ', "row_number": ' || NEW.row_number END
  || ', "version_no": ' || NEW.version_no
  || ', "content_hash": ' || to_json(NEW.content_hash)::text
  || CASE WHEN NEW.procedure_id IS NULL THEN '' ELSE ', "procedure_id": ' || NEW.procedure_id END
  || CASE WHEN NEW.subject_code IS NULL THEN '' ELSE ', "subject_code": ' || to_json(NEW.subject_code)::text END
  || CASE WHEN NEW.formation_date IS NULL THEN '' ELSE ', "formation_date": ' || to_json(NEW.formation_date)::text END
  || CASE WHEN NEW.source_file_id IS NULL THEN '' ELSE ', "source_file_id": ' || NEW.source_file_id END
  || ', "catalog_version": ' || NEW.catalog_version || '}'`;

/** 011's trigger function with the hash expression given; the predecessor lookup and its refusal unchanged. */
const chainFunction = (hash: string) => `
  CREATE OR REPLACE FUNCTION chain_record_version() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    previous text := '';
  BEGIN
    IF NEW.version_no > 1 THEN
      SELECT v.chain_hash INTO previous FROM record_versions v
      WHERE v.record_id = NEW.record_id AND v.version_no = NEW.version_no - 1;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'record_versions: record % has no version % to chain version % to',
          NEW.record_id, NEW.version_no - 1, NEW.version_no;
      END IF;
    END IF;
    NEW.chain_hash := ${hash};
    RETURN NEW;
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    chainFunction(`CASE
      WHEN NEW.created_at >= '0001-01-01 00:00:00+00' AND NEW.created_at < '10000-01-01 00:00:00+00'
      THEN encode(sha256(convert_to(COALESCE(previous, '') || ':' || ${CHAIN_TEXT} || ':' || NEW.data::text, 'UTF8')), 'hex')
      ELSE version_chain_hash(previous, NEW)
    END`),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(chainFunction('version_chain_hash(previous, NEW)'));
}
