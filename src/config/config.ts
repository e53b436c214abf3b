import path from 'node:path';
import cron from 'node-cron';
import { type Limits, readLimits } from '../../connectors/limits.ts';
import { onOffSetting } from '../../connectors/on-off-setting.ts';
import { PROJECT_ROOT } from '../../connectors/project-root.ts';
import { CalendarDataError } from '../calendar/holidays-file.ts';
import { loadCalendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import { logFileProblem } from '../log/log-file.ts';
import { readChunkBytes } from '../run/chunk-settings.ts';
import { mergeWhileReadingRows } from '../warehouse/merge-while-reading.ts';

/** The directory credit-etl is installed in: defaults live here, whatever the working directory. */
export { PROJECT_ROOT };

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** Settings from the environment, validated at start-up. Every variable is listed in the README. */
export interface Config {
  /** `DATABASE_URL`: the warehouse's PostgreSQL server; unset = the embedded server. */
  databaseUrl: string | undefined;
  /** `CREDIT_ETL_PG_DIR`: data directory of the embedded PostgreSQL (default `.data/postgres`). */
  embeddedDataDir: string;
  /** `CREDIT_ETL_CATALOG_DIR`: the catalog entries (default `catalog/`). */
  catalogDir: string;
  /** `CREDIT_ETL_LOG_FILE`: JSON-lines log (default `logs/credit-etl.log`). */
  logFile: string;
  /** `CREDIT_ETL_LOG_LEVEL`: error | warn | info | debug (default `info`). */
  logLevel: (typeof LOG_LEVELS)[number];
  /** `CREDIT_ETL_REPORT_DIR`: where reports are written when no path is given (default `reports/`). */
  reportDir: string;
  /** `CREDIT_ETL_MAX_…`, `CREDIT_ETL_UNIT_…`: what one unit may cost (connectors/limits.ts). */
  limits: Limits;
  /** `CREDIT_ETL_HOLIDAYS_FILE`: the holiday calendar (default `config/holidays.json`), read and validated here. */
  calendar: WorkingDayCalendar;
  /**
   * `CREDIT_ETL_VERIFY_CRON`: when `schedule` runs `verify` over the whole warehouse, a node-cron expression in
   * Asia/Shanghai time (default `30 3 * * *`, 03:30 every night); `off` runs it only by hand.
   */
  verifyCron: string | undefined;
  /**
   * `CREDIT_ETL_OBJECTION_CHECK_CRON`: when `schedule` checks for objections not answered within 3 working days
   * (Art. 18), node-cron in Asia/Shanghai (default `0 9 * * *`, 09:00 every day); `off` runs it only by hand.
   */
  objectionCheckCron: string | undefined;
  /** `CREDIT_ETL_ISSUER_*`: who issues notices and reports, printed in their header. */
  issuer: Issuer;
}

/** The unit that issues notices and reports (their official header). */
export interface Issuer {
  /** `CREDIT_ETL_ISSUER_NAME` (default `公共信用信息平台`), e.g. `山东省公共信用信息中心`. */
  name: string;
  /** `CREDIT_ETL_ISSUER_CONTACT`: who a provider calls or writes to (unset: no contact line). */
  contact: string | undefined;
  /** `CREDIT_ETL_ISSUER_DOC_PREFIX` (default `信用复核`): a notice's number is `<prefix>〔<year>〕<n>号`. */
  documentPrefix: string;
}

/** 03:30 Beijing time: after the nightly pushes, before anyone reads the morning's archive. */
export const DEFAULT_VERIFY_CRON = '30 3 * * *';

/** 09:00 Beijing time: early in the working day, while an objection due today can still be answered. */
export const DEFAULT_OBJECTION_CHECK_CRON = '0 9 * * *';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv = (name: string, fallback: string) => {
    const value = env[name]?.trim();
    return value ? path.resolve(value) : path.join(PROJECT_ROOT, fallback);
  };
  const logLevel = (env.CREDIT_ETL_LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`CREDIT_ETL_LOG_LEVEL=${logLevel} is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL, e.g. postgres://user@host:5432/credit');
  }
  try {
    // Read where each unit is loaded; checked here so that a bad value stops the command before any unit.
    mergeWhileReadingRows(env);
    readChunkBytes(env);
    // On/off switches read where a file loads (compact-unchanged-runs.ts, fast-redelivery.ts) and by
    // bin/credit-etl.js (scripts/cli-build.js, which refuses a bad one itself before this runs).
    for (const name of ON_OFF_VARIABLES) onOffSetting(name, env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    databaseUrl,
    embeddedDataDir: fromEnv('CREDIT_ETL_PG_DIR', '.data/postgres'),
    catalogDir: fromEnv('CREDIT_ETL_CATALOG_DIR', 'catalog'),
    logFile: logFileFrom(env, fromEnv('CREDIT_ETL_LOG_FILE', 'logs/credit-etl.log')),
    logLevel,
    reportDir: fromEnv('CREDIT_ETL_REPORT_DIR', 'reports'),
    limits: limitsFrom(env),
    calendar: calendarFrom(env),
    verifyCron: verifyCronFrom(env),
    objectionCheckCron: cronFrom(env, 'CREDIT_ETL_OBJECTION_CHECK_CRON', DEFAULT_OBJECTION_CHECK_CRON),
    issuer: {
      name: env.CREDIT_ETL_ISSUER_NAME?.trim() || '公共信用信息平台',
      contact: env.CREDIT_ETL_ISSUER_CONTACT?.trim() || undefined,
      documentPrefix: env.CREDIT_ETL_ISSUER_DOC_PREFIX?.trim() || '信用复核',
    },
  };
}

/** The documented on/off variables every command checks at start (`1`, `0` or unset; connectors/on-off-setting.ts). */
const ON_OFF_VARIABLES = ['CREDIT_ETL_FULL_LINEAGE', 'CREDIT_ETL_FAST_REDELIVERY', 'CREDIT_ETL_FROM_SOURCE'];

/**
 * The log file, when it can be appended to (its missing folders created by the logger): a path through a file, a
 * folder that is not writable, or one under /proc or /sys stops the command here, naming the variable.
 */
function logFileFrom(env: NodeJS.ProcessEnv, file: string): string {
  const problem = logFileProblem(file);
  if (!problem) return file;
  const given = env.CREDIT_ETL_LOG_FILE?.trim();
  const setting = given ? `CREDIT_ETL_LOG_FILE=${given}` : `CREDIT_ETL_LOG_FILE (unset: ${file})`;
  throw new ConfigError(`${setting}: ${problem}; set it to a file in a writable folder`);
}

function verifyCronFrom(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.CREDIT_ETL_VERIFY_CRON?.trim() || DEFAULT_VERIFY_CRON;
  if (value === 'off') return undefined;
  if (!cron.validate(value)) {
    throw new ConfigError(
      `CREDIT_ETL_VERIFY_CRON=${value} is not a cron expression: use e.g. "30 3 * * *" (03:30 Asia/Shanghai) or off`,
    );
  }
  return value;
}

/** A node-cron expression from `name`, its default when unset, undefined when `off`. */
function cronFrom(env: NodeJS.ProcessEnv, name: string, fallback: string): string | undefined {
  const value = env[name]?.trim() || fallback;
  if (value === 'off') return undefined;
  if (!cron.validate(value))
    throw new ConfigError(
      `${name}=${value} is not a cron expression: use e.g. "${fallback}" (Asia/Shanghai) or off`,
    );
  return value;
}

/** A bad holidays file stops every command before it does anything, not a load halfway through. */
function calendarFrom(env: NodeJS.ProcessEnv): WorkingDayCalendar {
  try {
    return loadCalendar(env);
  } catch (error) {
    if (error instanceof CalendarDataError) throw new ConfigError(error.message);
    throw error;
  }
}

function limitsFrom(env: NodeJS.ProcessEnv): Limits {
  try {
    return readLimits(env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}
