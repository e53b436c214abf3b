import { ConsoleSettingsError } from '../console-settings.ts';

/** Default upper bound of one direct-report upload: larger deliveries go through the 前置库 or SFTP. */
const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

/**
 * `CREDIT_ETL_DIRECT_REPORT_MAX_BYTES`: the largest file a provider may upload in the console (数据直报), checked
 * while it streams; default 100 MiB. A bad value is a configuration error at start-up, not a silent default.
 */
export function directReportLimit(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES?.trim();
  if (!text) return DEFAULT_MAX_BYTES;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConsoleSettingsError(
      `CREDIT_ETL_DIRECT_REPORT_MAX_BYTES=${text} is not a number of bytes (e.g. 104857600)`,
    );
  return value;
}
