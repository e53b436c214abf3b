import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import {
  DELIMITERS,
  type Delimiter,
  ENCODINGS,
  type Encoding,
  FileFormatError,
  type SourceUnit,
} from '../../../connectors/contracts.ts';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { unitsForFile } from '../../../connectors/transports/archive-units.ts';
import { CHANNEL_LEVELS, type ChannelLevel } from '../../catalog/catalog-entry.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { checkProviderCode, checkProviderLevel } from '../../report/provider-check.ts';
import { loadProviders, providersFile } from '../../report/providers.ts';
import { ingestUnits } from '../../run/ingest-files.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, noteFailedRun, UsageError } from '../exit-codes.ts';
import { readLookupsFile } from '../lookups-file.ts';
import { printRun } from '../print-run.ts';
import { createProgressDisplay } from '../progress-display.ts';
import { exitCodeForRun, thresholdOptions, thresholdsFrom } from '../threshold-options.ts';
import { withWarehouse } from '../with-warehouse.ts';
import { pastOrTodayInstantOption } from './date-options.ts';

interface IngestOptions {
  catalog: string;
  provider: string;
  level?: ChannelLevel;
  encoding: Encoding;
  delimiter: Delimiter | 'tab';
  sheet?: string;
  headerRow?: string;
  receivedAt?: string;
  allowPilotCodes?: boolean;
  allowUnregisteredProvider?: boolean;
  force?: boolean;
  json?: boolean;
  maxRejectRate?: string;
  maxRejected?: string;
  lookups?: string;
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('validate files against a catalog entry and load them into the warehouse (one run)')
    .argument('<files...>', 'CSV/XLSX files to load, or .zip/.gz archives holding them')
    .requiredOption('--catalog <code>', 'catalog entry code or Chinese title, e.g. xzcf or 行政处罚')
    .requiredOption('--provider <code>', "the providing department's code (its unified social credit code)")
    .addOption(
      new Option(
        '--level <level>',
        "channel level of this delivery: the provider's registered level (the default); required for an unregistered provider",
      ).choices(CHANNEL_LEVELS),
    )
    .addOption(new Option('--encoding <encoding>', 'file encoding').choices(ENCODINGS).default('auto'))
    .addOption(
      new Option('--delimiter <delimiter>', 'CSV field separator')
        .choices([...DELIMITERS, 'tab'])
        .default('auto'),
    )
    .option('--sheet <name|index>', 'XLSX: sheet name or 1-based index among visible sheets')
    .option('--header-row <n>', 'row number of the header (default: CSV row 1; XLSX found below title rows)')
    .option(
      '--received-at <time>',
      'when the platform received the files (ISO date/time, Asia/Shanghai); default now',
    )
    .option(
      '--allow-unregistered-provider',
      'accept a valid unified social credit code that the provider registry does not list',
    )
    .option('--allow-pilot-codes', 'accept pilot-era USCCs that fail only the 18th-character check')
    .option(
      '--lookups <file>',
      "JSON tables for a legacy layout's lookups, e.g. authorityCodes: authority name → its USCC",
    )
    .option('--force', 'load content the sha256 ledger has already loaded (recorded as a forced reload)')
    .option('--json', 'print the run summary as JSON')
    .addOption(thresholdOptions()[0])
    .addOption(thresholdOptions()[1])
    .action(async (files: string[], options: IngestOptions) => {
      const { config, logger } = commandContext();
      const { code: providerCode, level } = await registeredProvider(options);
      const thresholds = thresholdsFrom(options);
      const receivedAt = parseReceivedAt(options.receivedAt);
      const readOptions = formatOptions(options);
      const lookups = options.lookups ? readLookupsFile(options.lookups) : undefined;
      const units: SourceUnit[] = [];
      for (const file of files) await checkReadableFile(file);
      for (const file of files) units.push(...(await unitsOrFailedFile(file, receivedAt)));
      const catalog = await loadCatalog(config.catalogDir);
      // Each file is looked up on the Beijing day it was received (ingest-files.ts): an entry in force on none of
      // those days is a usage error before anything is read.
      const days = new Set(units.map((unit) => todayInShanghai(unit.receivedAt)));
      for (const day of days.size > 0 ? days : [todayInShanghai(receivedAt)])
        catalog.resolve(options.catalog, day);
      const code = await withWarehouse(config, logger, async (warehouse) => {
        const progress = createProgressDisplay();
        const summary = await ingestUnits(
          warehouse,
          catalog,
          {
            units,
            catalog: options.catalog,
            providerCode,
            level,
            encoding: options.encoding,
            formatOptions: readOptions,
            validatorOptions: { allowPilotCodes: Boolean(options.allowPilotCodes) },
            thresholds,
            force: Boolean(options.force),
            ...(lookups ? { lookups } : {}),
            onUnitStart: (unit) => progress.onUnitStart(unit),
            onProgress: (unit, rows, phase) => progress.onProgress(unit, rows, phase),
          },
          logger,
        )
          .catch((error: unknown) => {
            // A fault that ended the run (the database's): the run was created and stored failed, `--json` names it.
            const { runId } = (error ?? {}) as { runId?: unknown };
            if (typeof runId === 'number') noteFailedRun(runId);
            throw error;
          })
          .finally(() => progress.stop());
        const reported = await printRun(warehouse, catalog, config.reportDir, summary, Boolean(options.json));
        // A report that could not be written fails the command (exit 1), though the run itself is committed.
        return reported ? exitCodeForRun(summary.status) : EXIT.failed;
      });
      process.exitCode = code;
    });
}

/**
 * `--provider` and `--level` checked against the registry: a typo or an injected string never becomes a provider,
 * and a registered provider delivers at its registered level only (a city loaded as `province` would take the
 * province's precedence in 省市互补 dedupe). An unregistered code (`--allow-unregistered-provider`) has no
 * registered level: its `--level` is required and taken as given.
 */
async function registeredProvider(options: IngestOptions): Promise<{ code: string; level: ChannelLevel }> {
  const registryFile = providersFile();
  const providers = await loadProviders(registryFile);
  const check = checkProviderCode(providers, options.provider, {
    allowUnregistered: Boolean(options.allowUnregisteredProvider),
    registryFile,
  });
  if (!check.ok) {
    const allow = check.unregistered ? ' (a one-off delivery: --allow-unregistered-provider)' : '';
    throw new UsageError(`--provider: ${check.message}${allow}`);
  }
  const registered = providers.find((provider) => provider.code === check.code);
  if (options.level === undefined) {
    if (registered) return { code: check.code, level: registered.level };
    throw new UsageError(
      `--level: provider ${check.code} is not in the provider registry ${registryFile}, so it has no registered ` +
        'level: give the channel level of this delivery (--level province, city or county)',
    );
  }
  const mismatch = checkProviderLevel(providers, check.code, options.level, registryFile);
  if (mismatch)
    throw new UsageError(
      `--level: ${mismatch.message}; omit --level or give --level ${mismatch.registered}, ` +
        "or correct the provider's level in the registry if the department's level has changed",
    );
  return { code: check.code, level: options.level };
}

/**
 * The operator's mistakes, before anything runs: a path that does not exist, a directory, a file this user may not
 * read. What is wrong inside a file is the provider's, and is recorded as that file's failure (unitsOrFailedFile).
 */
async function checkReadableFile(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (!info.isFile())
      throw new UsageError(`cannot read ${file}: it is not a file (a directory?); name the files`);
    await access(file, constants.R_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * The file's units, or, when the file itself is broken (a corrupt or truncated archive), one unit that fails with
 * the reason, as a drop folder records such a file: in source_files, while the other files still load.
 */
async function unitsOrFailedFile(file: string, receivedAt: Date | undefined): Promise<SourceUnit[]> {
  try {
    return await unitsForFile(file, receivedAt);
  } catch (error) {
    if (!(error instanceof FileFormatError)) throw error;
    const absolute = path.resolve(file);
    return [
      {
        name: path.basename(absolute),
        path: absolute,
        sizeBytes: (await stat(absolute)).size,
        receivedAt: receivedAt ?? new Date(),
        rows: () => Promise.reject(error),
      },
    ];
  }
}

/** A row number as people write it: decimal digits only (`1e1`, `2.0`, `0x2`, ` 2` are no row numbers). */
const ROW_NUMBER = /^[1-9][0-9]{0,8}$/;

function formatOptions(options: IngestOptions) {
  const headerRow = options.headerRow === undefined ? undefined : Number(options.headerRow);
  if (options.headerRow !== undefined && !ROW_NUMBER.test(options.headerRow)) {
    throw new UsageError(
      `--header-row ${JSON.stringify(options.headerRow)} is not a row number: use a whole number ≥ 1 in digits, e.g. 3`,
    );
  }
  if (options.sheet !== undefined) checkSheetOption(options.sheet);
  return {
    delimiter: options.delimiter === 'tab' ? ('\t' as const) : options.delimiter,
    ...(options.sheet === undefined ? {} : { sheet: options.sheet }),
    ...(headerRow === undefined ? {} : { headerRow }),
  };
}

/** What Excel forbids in a sheet's name, which is also at most 31 characters long and never empty. */
const NOT_IN_SHEET_NAMES = /[:\\/?*[\]]/;
const MAX_SHEET_NAME = 31;

/**
 * `--sheet` names a sheet or numbers it from 1 among the visible sheets. A value no workbook can have (sheet 0, an
 * empty name, a name Excel would refuse) is the operator's mistake: refused here, before the provider's file is
 * read and recorded as failed with `sheet-not-found`.
 */
function checkSheetOption(sheet: string): void {
  if (/^\d+$/.test(sheet) && Number(sheet) === 0) {
    throw new UsageError(
      `--sheet ${sheet}: sheets are numbered from 1 (among visible sheets); use e.g. 1, or a name`,
    );
  }
  if (sheet.trim() === '' || [...sheet].length > MAX_SHEET_NAME || NOT_IN_SHEET_NAMES.test(sheet)) {
    throw new UsageError(
      `--sheet "${sheet}" is no sheet name Excel allows (1–${MAX_SHEET_NAME} characters, none of : \\ / ? * [ ]): ` +
        'give the name as the tab shows it, or its number from 1',
    );
  }
}

/**
 * `--received-at`: a real date or time, on a day already come (Asia/Shanghai, as `objection open --received-at`):
 * it is stored as the lineage's receipt, and timeliness (Art. 10) is judged from it.
 */
function parseReceivedAt(text: string | undefined): Date | undefined {
  return text === undefined
    ? undefined
    : pastOrTodayInstantOption('--received-at', text, {
        what: '文件接收日期',
        fix: '请填写平台实际收到文件的日期或时间',
      });
}
