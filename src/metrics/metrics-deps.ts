import type { Warehouse } from '../warehouse/connect-warehouse.ts';

/** What the metrics read: the warehouse at scrape time, and who is answering. */
export interface MetricsDeps {
  warehouse: Warehouse;
  /** The process kind, a label on every sample: `schedule`, `worker`, `serve`. */
  component: string;
  /** pg-boss's schema, for the queue depth (default `pgboss`; no such schema = no queue samples). */
  queueSchema?: string;
}

/** Where a metrics server listens (CREDIT_ETL_METRICS_PORT, CREDIT_ETL_METRICS_HOST). */
export interface MetricsListen {
  host: string;
  port: number;
}
