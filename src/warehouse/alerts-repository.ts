import type { Warehouse } from './connect-warehouse.ts';

/**
 * Claims the right to send the alert `key`: true when it was never sent or last sent more than `windowMinutes`
 * ago (and marks it sent now), false when it is a repeat within the window (counted). One statement, so two
 * processes seeing the same event at once send it once.
 */
export async function claimAlert(
  warehouse: Warehouse,
  alert: { key: string; kind: string; title: string },
  windowMinutes: number,
): Promise<boolean> {
  const { rows } = await warehouse.raw<{ rows: { key: string }[] }>(
    `INSERT INTO alert_state AS state (key, kind, title) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET last_sent_at = now(), suppressed = 0, kind = excluded.kind, title = excluded.title
       WHERE state.last_sent_at <= now() - make_interval(mins => ?)
     RETURNING key`,
    [alert.key, alert.kind, alert.title, windowMinutes],
  );
  if (rows.length > 0) return true;
  await warehouse('alert_state').where({ key: alert.key }).increment('suppressed', 1);
  return false;
}

/** One delivery of an alert to one channel, as it ended. */
export async function recordAlertDelivery(
  warehouse: Warehouse,
  delivery: { key: string; channel: string; status: 'sent' | 'failed'; attempts: number; error?: string },
): Promise<void> {
  await warehouse('alert_deliveries').insert({
    key: delivery.key,
    channel: delivery.channel,
    status: delivery.status,
    attempts: delivery.attempts,
    error: delivery.error ?? null,
  });
}

/** The deliveries of an alert key, oldest first (tests, and an operator's question "was it sent?"). */
export async function alertDeliveries(
  warehouse: Warehouse,
  key: string,
): Promise<{ channel: string; status: string; attempts: number; error: string | null }[]> {
  return warehouse('alert_deliveries')
    .where({ key })
    .orderBy('id')
    .select('channel', 'status', 'attempts', 'error');
}

/** When the pipeline last delivered rows for a partition day: any of its runs for that day that read a row. */
export async function deliveredForPartition(
  warehouse: Warehouse,
  pipeline: string,
  partitionDate: string,
): Promise<boolean> {
  const row = await warehouse('runs')
    .where({ pipeline, partition_date: partitionDate })
    .whereNot({ status: 'running' })
    .whereRaw("coalesce((counts ->> 'read')::bigint, 0) > 0")
    .first('id');
  return row !== undefined;
}

/** The day (YYYY-MM-DD, Asia/Shanghai) a provider last had a file of an entry loaded; undefined if never. */
export async function lastDeliveryDay(
  warehouse: Warehouse,
  providerCode: string,
  catalogCode: string,
): Promise<string | undefined> {
  const { rows } = await warehouse.raw<{ rows: { day: string | null }[] }>(
    `SELECT to_char(max(received_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day
       FROM source_files WHERE provider_code = ? AND catalog_code = ? AND status = 'loaded'`,
    [providerCode, catalogCode],
  );
  return rows[0]?.day ?? undefined;
}
