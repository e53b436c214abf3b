import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { makeDirectory } from '../../../connectors/make-directory.ts';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { catalogMarkdown } from '../../catalog/catalog-docs.ts';
import { type CatalogEntry, fieldCodes } from '../../catalog/catalog-entry.ts';
import { catalogEntryHash } from '../../catalog/catalog-entry-hash.ts';
import { catalogHtml } from '../../catalog/catalog-html.ts';
import { describeEntry } from '../../catalog/describe-entry.ts';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { loadConfig } from '../../config/config.ts';
import { errorCodeTable } from '../../report/error-codes.ts';
import { lintCatalog } from '../../validate/lint-catalog.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { displayWidth, formatTable } from '../format-table.ts';
import { consoleWidth, wrapText } from '../wrap-text.ts';

/** `catalog list | show | lint | docs`: all read the catalog files only, no database needed. */
export function registerCatalogCommand(program: Command): void {
  const catalog = program.command('catalog').description('the public credit information catalog (Art. 7)');
  catalog
    .command('list')
    .description('every entry and version, with its effective date and content hash')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { entries } = await loadCatalog(loadConfig().catalogDir);
      const today = todayInShanghai();
      const rows = [...entries]
        .sort((a, b) => a.code.localeCompare(b.code) || a.version - b.version)
        .map((entry) => ({
          code: entry.code,
          version: entry.version,
          title: entry.title,
          effectiveFrom: entry.effectiveFrom,
          fields: fieldCodes(entry).length,
          inForce:
            entries
              .filter((other) => other.code === entry.code && other.effectiveFrom <= today)
              .sort((a, b) => b.version - a.version)[0]?.version === entry.version,
          hash: catalogEntryHash(entry).slice(0, 12),
        }));
      if (options.json) {
        console.log(JSON.stringify(rows));
        return;
      }
      console.log(
        formatTable(
          ['code', 'version', 'title', 'effective from', 'fields', 'in force', 'hash'],
          rows.map((row) => [
            row.code,
            `v${row.version}`,
            row.title,
            row.effectiveFrom,
            row.fields,
            row.inForce ? 'yes' : '',
            row.hash,
          ]),
        ),
      );
    });
  catalog
    .command('show')
    .description('one entry: Art. 7 attributes, fields, code lists and rules')
    .argument('<code>', 'entry code or Chinese title, e.g. xzcf or 行政处罚')
    .option('--version <n>', 'a version other than the one in force today')
    .option('--json', 'print the entry file as JSON')
    .action(async (code: string, options: { version?: string; json?: boolean }) => {
      const catalog = await loadCatalog(loadConfig().catalogDir);
      const entry = options.version
        ? catalog.entries.find(
            (candidate) =>
              (candidate.code === code || candidate.title === code) &&
              String(candidate.version) === options.version,
          )
        : catalog.resolve(code, todayInShanghai());
      if (!entry)
        throw new UsageError(
          `catalog entry ${code} v${options.version} not found: run \`credit-etl catalog list\``,
        );
      if (options.json) {
        console.log(JSON.stringify(entry, null, 2));
        return;
      }
      const described = describeEntry(entry, catalog.entries);
      console.log(
        `${described.title} (${described.code}) v${described.version}, effective from ${described.effectiveFrom}`,
      );
      if (described.otherVersions.length > 0)
        console.log(`other versions: ${described.otherVersions.join(', ')}`);
      // Long code lists and rules wrap to the terminal (100 columns when piped), never one 1000-character line.
      const width = consoleWidth();
      const indented = (label: string, text: string) =>
        wrapText(`${label}：${text}`, width - 6)
          .map((line, i) => (i === 0 ? `  ${line}` : `      ${line}`))
          .join('\n');
      for (const [label, value] of described.attributes) console.log(indented(label, value));
      const wrapped = described.fields.map((field) => [
        field.code,
        wrapText(field.title, 20).join('\n'),
        field.type,
        wrapText(field.required, 24).join('\n'),
        field.constraints,
      ]);
      const narrow = [0, 1, 2, 3].map((i) =>
        Math.max(8, ...wrapped.flatMap((cells) => cells[i]!.split('\n').map(displayWidth))),
      );
      const rest = Math.max(width - narrow.reduce((sum, w) => sum + w + 2, 0), 30);
      for (const cells of wrapped) cells[4] = wrapText(cells[4]!, rest).join('\n');
      console.log(
        formatTable(['field', 'title', 'type', 'required', 'format / values'], wrapped, { left: true }),
      );
      for (const rule of described.rules) console.log(indented('规则', rule));
    });
  catalog
    .command('template')
    .description(
      'a blank XLSX template for one entry: headers, required markers, code-list dropdowns, date formats, 填报说明',
    )
    .argument('<code>', 'entry code or Chinese title, e.g. xzcf or 行政处罚')
    .option('--version <n>', 'a version other than the one in force today')
    .requiredOption('--out <file.xlsx>', 'output workbook')
    .action(async (code: string, options: { version?: string; out: string }) => {
      if (!options.out.toLowerCase().endsWith('.xlsx'))
        throw new UsageError(`--out ${options.out}: use a .xlsx file name`);
      const catalog = await loadCatalog(loadConfig().catalogDir);
      const entry = findEntry(catalog, code, options.version);
      // exceljs is loaded only when a workbook is written (CLI start-up time and memory).
      const { writeBlankTemplate } = await import('../../report/blank-template.ts');
      await writeBlankTemplate(entry, catalog.entries, options.out);
      console.log(`${entry.title} (${entry.code}) v${entry.version}: blank template → ${options.out}`);
    });
  catalog
    .command('lint')
    .description('check every catalog file against the meta-schema and its own references (no database)')
    .option('--dir <dir>', 'catalog directory (default: CREDIT_ETL_CATALOG_DIR or catalog/)')
    .action(async (options: { dir?: string }) => {
      if (options.dir !== undefined && options.dir.trim() === '')
        throw new UsageError('--dir is empty: name the catalog directory, e.g. --dir catalog');
      const directory = options.dir !== undefined ? path.resolve(options.dir) : loadConfig().catalogDir;
      await checkCatalogDirectory(directory, options.dir !== undefined ? '--dir' : 'CREDIT_ETL_CATALOG_DIR');
      const report = await lintCatalog(directory);
      for (const problem of report.problems) console.error(`${problem.file}: ${problem.message}`);
      if (report.problems.length > 0) {
        console.error(`catalog lint: ${report.problems.length} problem(s) in ${directory}`);
        process.exitCode = EXIT.failed;
        return;
      }
      const codes = new Set(report.entries.map((entry) => entry.code)).size;
      console.log(`catalog lint: ${report.entries.length} version(s) of ${codes} entries OK in ${directory}`);
    });
  catalog
    .command('docs')
    .description('publish the catalog: catalog.md and catalog.html (one self-contained page)')
    .requiredOption('--out <dir>', 'directory to write into (created if missing)')
    .action(async (options: { out: string }) => {
      const catalog = await loadCatalog(loadConfig().catalogDir);
      const out = path.resolve(options.out);
      // Not Node's recursive mkdir: under /proc it never returns (makeDirectory).
      await makeDirectory(out);
      const today = todayInShanghai();
      // The error codes a provider meets in its reports, explained in Chinese with how to fix each.
      const errorCodes = errorCodeTable();
      await writeOut(path.join(out, 'catalog.md'), catalogMarkdown(catalog.entries, today, errorCodes));
      await writeOut(path.join(out, 'catalog.html'), catalogHtml(catalog.entries, today, errorCodes));
      console.log(`wrote ${path.join(out, 'catalog.md')} and ${path.join(out, 'catalog.html')}`);
    });
}

/**
 * The directory `catalog lint` reads is there and is a directory: else a usage error naming it and where it came
 * from (exit 2, nothing was checked), not a raw ENOENT or ENOTDIR from reading it.
 */
async function checkCatalogDirectory(directory: string, from: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(directory);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new UsageError(`catalog directory ${directory} (${from}) does not exist`);
    throw new UsageError(`cannot read the catalog directory ${directory} (${from}): ${message}`);
  }
  if (!info.isDirectory())
    throw new UsageError(`catalog directory ${directory} (${from}) is not a directory`);
}

/** A file of `catalog docs`: a failure names it, as a report's does (`cannot write <file>: …`, exit 1). */
async function writeOut(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new Error(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** An entry by code or title: the version asked for, or the one in force today. */
function findEntry(catalog: Catalog, code: string, version: string | undefined): CatalogEntry {
  if (version === undefined) return catalog.resolve(code, todayInShanghai());
  const entry = catalog.entries.find(
    (candidate) =>
      (candidate.code === code || candidate.title === code) && String(candidate.version) === version,
  );
  if (!entry)
    throw new UsageError(`catalog entry ${code} v${version} not found: run \`credit-etl catalog list\``);
  return entry;
}
