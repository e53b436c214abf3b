import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * The notice log (issue #18): what happened with each review notice (Art. 14) after it was issued — sent by
 * which channel to whom, acknowledged by the provider, issued again, closed (and how), and, per conflict row, the
 * resolution ("确认以省级数据为准": the higher channel's version stands) or its escalation. The computed status
 * (005: corrected by later deliveries) stays; the log adds the facts the warehouse cannot see, and a resolved
 * conflict row counts as done. Append-only for every role, as the procedure log (012): a mistaken entry is
 * answered by a later entry, never edited.
 */
export const NOTICE_EVENT_KINDS = [
  'issued',
  'sent',
  'acknowledged',
  'resent',
  'resolved',
  'escalated',
  'closed',
] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE notice_events (
      id bigserial PRIMARY KEY,
      notice_id bigint NOT NULL REFERENCES notices (id),
      notice_row_id bigint REFERENCES notice_rows (id),
      kind text NOT NULL CHECK (kind IN (${NOTICE_EVENT_KINDS.map((kind) => `'${kind}'`).join(', ')})),
      channel text CHECK (btrim(channel) <> ''),
      recipient text CHECK (btrim(recipient) <> ''),
      closed_how text CHECK (closed_how IN ('redelivery', 'conflicts-resolved', 'by-hand')),
      resolution text CHECK (resolution IN ('accept-higher')),
      basis text CHECK (btrim(basis) <> ''),
      note text,
      operator text NOT NULL CHECK (btrim(operator) <> ''),
      db_user text NOT NULL DEFAULT session_user,
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      CHECK (kind <> 'sent' OR (channel IS NOT NULL AND recipient IS NOT NULL)),
      CHECK ((kind IN ('resolved', 'escalated')) = (notice_row_id IS NOT NULL)),
      CHECK ((kind = 'resolved') = (resolution IS NOT NULL)),
      CHECK (kind <> 'escalated' OR btrim(note) <> ''),
      CHECK ((kind = 'closed') = (closed_how IS NOT NULL)),
      CHECK (closed_how IS DISTINCT FROM 'by-hand' OR basis IS NOT NULL)
    );
    COMMENT ON TABLE notice_events IS 'what happened with each review notice (Art. 14): append-only; the status is computed from deliveries and these events';
    COMMENT ON COLUMN notice_events.notice_row_id IS 'resolved / escalated: the conflict row of the notice';
    COMMENT ON COLUMN notice_events.closed_how IS 'redelivery: every row corrected by later deliveries; conflicts-resolved: the rest resolved here; by-hand: closed on a stated basis';
    COMMENT ON COLUMN notice_events.resolution IS 'accept-higher: 确认以省级数据为准, the higher channel''s version stands';
    COMMENT ON COLUMN notice_events.operator IS 'who recorded it (--operator, else the OS user)';
    CREATE INDEX notice_events_notice ON notice_events (notice_id, id);
    CREATE INDEX notice_events_row ON notice_events (notice_row_id) WHERE notice_row_id IS NOT NULL;

    CREATE FUNCTION notice_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'notice_events is append-only: what happened with a notice is never changed or removed; record a later event instead';
    END $$;
    CREATE TRIGGER notice_events_append_only BEFORE UPDATE OR DELETE ON notice_events
      FOR EACH ROW EXECUTE FUNCTION notice_events_append_only();
    CREATE TRIGGER notice_events_no_truncate BEFORE TRUNCATE ON notice_events
      FOR EACH STATEMENT EXECUTE FUNCTION notice_events_append_only();
  `);
  // Every role reads it (010's default privileges); the engine appends to it, as it does to notices.
  await grantTo(knex, 'INSERT', 'notice_events', WAREHOUSE_ROLES.loader);
  await grantTo(knex, 'USAGE', 'SEQUENCE notice_events_id_seq', WAREHOUSE_ROLES.loader);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE notice_events;
    DROP FUNCTION notice_events_append_only();
  `);
}
