import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Alerts (issue #20): which events were alerted and when, so a repeat within the suppression window is not sent
 * again — by this process after a restart, or by another process (two schedulers, a worker) — and a log of each
 * delivery to each channel. Operational state, not part of the legal record: the engine updates `alert_state`
 * in place (one row per event key); `alert_deliveries` is appended to.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE alert_state (
      key text PRIMARY KEY CHECK (btrim(key) <> ''),
      kind text NOT NULL,
      title text NOT NULL,
      last_sent_at timestamptz NOT NULL DEFAULT now(),
      suppressed integer NOT NULL DEFAULT 0
    );
    COMMENT ON TABLE alert_state IS 'per alert event key: when it was last sent; repeats within the suppression window are counted, not sent';
    COMMENT ON COLUMN alert_state.suppressed IS 'repeats suppressed since last_sent_at';
    CREATE TABLE alert_deliveries (
      id bigserial PRIMARY KEY,
      key text NOT NULL,
      channel text NOT NULL,
      status text NOT NULL CHECK (status IN ('sent', 'failed')),
      attempts integer NOT NULL,
      error text,
      at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE alert_deliveries IS 'each alert delivered (or not) to each channel, with the last error; secrets never stored';
    CREATE INDEX alert_deliveries_at ON alert_deliveries (at);
  `);
  await grantTo(knex, 'INSERT, UPDATE', 'alert_state', WAREHOUSE_ROLES.loader);
  await grantTo(knex, 'INSERT', 'alert_deliveries', WAREHOUSE_ROLES.loader);
  await grantTo(knex, 'USAGE', 'SEQUENCE alert_deliveries_id_seq', WAREHOUSE_ROLES.loader);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE alert_deliveries; DROP TABLE alert_state;');
}
