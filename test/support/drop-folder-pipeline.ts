import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/**
 * A drop-folder pipeline `name` of the province's 行政处罚 over `directory` (every file there loads, no marker, no
 * settling wait), its definition in `<scratch>/<name>/pipelines` with `extra` (e.g. `retry`) added; returns the CLI's
 * environment for it, its log `<scratch>/<logName>`.
 */
export function writeDropFolderPipeline(
  fx: WarehouseFixture,
  name: string,
  directory: string,
  extra: Record<string, unknown> = {},
  logName = `${name}.log`,
) {
  const pipelines = path.join(fx.scratch, name, 'pipelines');
  mkdirSync(pipelines, { recursive: true });
  writeFileSync(
    path.join(pipelines, `${name}.json`),
    JSON.stringify({
      catalog: 'xzcf',
      provider: '11370000MB2852362M',
      level: 'province',
      transport: { type: 'drop-folder', directory, markerSuffixes: [], stableSizeMs: 0 },
      ...extra,
    }),
  );
  return {
    DATABASE_URL: fx.url,
    CREDIT_ETL_PIPELINES_DIR: pipelines,
    CREDIT_ETL_LOG_FILE: path.join(fx.scratch, logName),
    CREDIT_ETL_REPORT_DIR: fx.scratch,
  };
}

/** `<scratch>/<name>/inbox`, made. */
export function inboxOf(fx: WarehouseFixture, name: string): string {
  const inbox = path.join(fx.scratch, name, 'inbox');
  mkdirSync(inbox, { recursive: true });
  return inbox;
}
