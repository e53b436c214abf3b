import type { TableTransportConfig } from './table-config.ts';

/**
 * The watermark a table pipeline saves its position under. By default it names the pipeline and the table: two
 * pipelines reading tables of one name from different 前置库 databases must never share a position (the second
 * would start after the first's rows and skip all of its own). An explicit `watermark` is kept as written.
 */
export function tableWatermarkKey(
  config: Pick<TableTransportConfig, 'table' | 'watermark'>,
  pipeline: string | undefined,
): string {
  if (config.watermark !== undefined) return config.watermark;
  return pipeline === undefined ? legacyWatermarkKey(config) : `table:${pipeline}:${config.table}`;
}

/**
 * The default key before it named the pipeline, `table:<table>`. A pipeline whose own key has no row yet starts
 * after the position saved there, once: its first batch then creates its own key, and an upgraded deployment
 * neither reads its table again from the start nor skips rows.
 */
export function legacyWatermarkKey(config: Pick<TableTransportConfig, 'table'>): string {
  return `table:${config.table}`;
}
