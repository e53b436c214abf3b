import type { Command } from 'commander';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import type { CatalogEntry } from '../../catalog/catalog-entry.ts';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { keyParts } from '../../dedupe/business-key.ts';
import { fieldMaskerOf, maskPersonalText } from '../../log/mask-personal-data.ts';
import { findRecords, recordHistory } from '../../records/record-history.ts';
import { type RecordView, recordView } from '../../records/record-view.ts';
import { entryVersion } from '../../records/subject-archive.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatTable } from '../format-table.ts';
import { withWarehouse } from '../with-warehouse.ts';

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description('one record: its current version, every version, its lineage and conflicts side by side')
    .argument(
      '<id|key>',
      'record id, whole business key (parts joined by |), or one key part such as a decision number',
    )
    .option('--catalog <code>', 'only records of this catalog entry')
    .option('--json', 'print JSON')
    .action(async (typed: string, options: { catalog?: string; json?: boolean }) => {
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const found = await findRecords(warehouse, typed, options.catalog);
        if (found.length !== 1) {
          const what = maskPersonalText(typed);
          if (found.length === 0) {
            console.error(
              `no record matches ${what}: give a record id, a whole key (a|b|c) or a decision number`,
            );
            return EXIT.usage;
          }
          console.error(`${found.length} records match ${what}; choose one by id:`);
          for (const record of found)
            console.error(
              `  ${record.id}  ${record.catalogCode}  ${shownKey(catalog, record.catalogCode, record.businessKey)}`,
            );
          return EXIT.usage;
        }
        const history = await recordHistory(warehouse, found[0]!.id);
        if (!history) return EXIT.usage;
        const entry = currentEntry(
          catalog,
          history.record.catalogCode,
          history.versions.at(-1)?.catalogVersion,
        );
        const view = recordView(history, entry);
        console.log(options.json ? maskPersonalText(JSON.stringify(view)) : formatRecordView(view, entry));
        return EXIT.ok;
      });
    });
}

/** A stored key as shown: each part masked as its field says. */
function shownKey(catalog: Catalog, code: string, key: string): string {
  return fieldMaskerOf(entryVersion(catalog, code, 0))
    .key(keyParts(key))
    .join('|');
}

function currentEntry(catalog: Catalog, code: string, version: number | undefined): CatalogEntry | undefined {
  return entryVersion(catalog, code, version ?? 0);
}

const show = (value: unknown) => (value === undefined || value === null ? '—' : String(value));

/** The human-readable record page: header, current version, history, lineage, conflicts side by side. */
export function formatRecordView(view: RecordView, entry: CatalogEntry | undefined): string {
  const title = (field: string) => entry?.schema.properties[field]?.title ?? field;
  const fields = entry ? Object.keys(entry.schema.properties) : Object.keys(view.current.data).sort();
  const lines = [
    `record ${view.id} · ${view.title} (${view.catalogCode}) · key ${view.key}`,
    `subject ${show(view.subjectCode)} · channel level ${view.level} · version ${view.current.versionNo} of ${view.versions.length}`,
    '',
    `current version v${view.current.versionNo} (run ${view.current.runId}, ${view.current.fileName} row ${view.current.rowNumber}):`,
    formatTable(
      ['field', 'code', 'value'],
      fields
        .filter((field) => view.current.data[field] !== undefined)
        .map((field) => [title(field), field, show(view.current.data[field])]),
    ),
    '',
    'history (oldest first):',
    formatTable(
      ['version', 'run', 'file', 'row', 'stored', 'changed fields'],
      view.versions.map((version) => [
        `v${version.versionNo}`,
        version.runId,
        version.fileName,
        version.rowNumber,
        shanghaiTime(version.createdAt),
        version.changedFields.join(', ') || (version.versionNo === 1 ? '(first)' : '—'),
      ]),
    ),
    '',
    'lineage (every delivered row):',
    formatTable(
      [
        '#',
        'run',
        'file',
        'row',
        'provider',
        'level',
        'outcome',
        'version',
        'received',
        'working days',
        'late',
      ],
      view.lineage.map((source) => [
        source.id,
        source.runId,
        source.fileName,
        source.rowNumber,
        source.providerCode,
        source.level,
        source.outcome,
        source.versionId === null
          ? '—'
          : `v${view.versions.find((v) => v.id === source.versionId)?.versionNo ?? '?'}`,
        shanghaiTime(source.receivedAt),
        show(source.workingDays),
        source.late ? 'late' : source.late === null ? 'pending' : '',
      ]),
    ),
  ];
  if (view.disagreements.length === 0) {
    lines.push('', 'conflicts: none');
  }
  for (const disagreement of view.disagreements) {
    lines.push(
      '',
      `conflict #${disagreement.sourceId} (${disagreement.status}): ${disagreement.level} ${disagreement.providerCode}, ` +
        `${disagreement.fileName} row ${disagreement.rowNumber}, ${disagreement.outcome}, received ${shanghaiTime(disagreement.receivedAt)}`,
      formatTable(
        ['field', `current v${view.current.versionNo}`, 'delivered'],
        disagreement.differences.map((difference) => [
          difference.title,
          show(difference.current),
          show(difference.delivered),
        ]),
      ),
    );
  }
  return maskPersonalText(lines.join('\n'));
}
