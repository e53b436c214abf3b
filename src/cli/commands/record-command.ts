import type { Command } from 'commander';
import { shanghaiTime, todayInShanghai } from '../../../connectors/shanghai-time.ts';
import type { CatalogEntry } from '../../catalog/catalog-entry.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { earlyRepairText, periodNote, repairPredatesPeriod } from '../../disclosure/disclosure-state.ts';
import { RETENTION_NOTE } from '../../disclosure/record-retention.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { objectionMarkLine } from '../../objections/objection-titles.ts';
import { type LaterKind, laterThanDayCounts } from '../../records/later-than-day.ts';
import { recordDetailsAsOf } from '../../records/record-details.ts';
import type { RecordNotYetView, RecordView } from '../../records/record-view.ts';
import { loadProviders, type Provider, providerLabel, providersFile } from '../../report/providers.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { procedureLine, procedureSummary, recordStatusLines } from '../format-procedure.ts';
import { maskedTable } from '../format-table.ts';
import { resolveRecord } from '../resolve-record.ts';
import { withReadingWarehouse } from '../with-warehouse.ts';
import { dateOption } from './date-options.ts';

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description('one record: its current version, every version, its lineage and conflicts side by side')
    .argument(
      '<id|key>',
      'record id, whole business key (parts joined by |), or one key part such as a decision number',
    )
    .option('--catalog <code>', 'only records of this catalog entry')
    .option(
      '--as-of <date>',
      'show the record as it stood at the end of this day, YYYY-MM-DD, Asia/Shanghai: its version, status, history and disclosure then (default: today)',
    )
    .option('--json', 'print JSON')
    .action(async (typed: string, options: { catalog?: string; asOf?: string; json?: boolean }) => {
      const asOf = options.asOf === undefined ? todayInShanghai() : dateOption('--as-of', options.asOf);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      const registry = await loadProviders(providersFile());
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const found = await resolveRecord(warehouse, catalog, typed, options.catalog);
        if (!found) return EXIT.usage;
        const details = await recordDetailsAsOf(warehouse, catalog, found.id, asOf);
        if (!details) return EXIT.usage;
        // Not yet in the warehouse that day: a true answer about an existing record (exit 0), as its disclosure
        // that day (不公示：当日尚无此记录) is; a record nothing matches is exit 2.
        if ('notYet' in details) {
          const { notYet } = details;
          console.log(
            options.json ? maskPersonalText(JSON.stringify(notYet)) : maskPersonalText(formatNotYet(notYet)),
          );
          return EXIT.ok;
        }
        const { view, entry } = details;
        console.log(
          options.json ? maskPersonalText(JSON.stringify(view)) : formatRecordView(view, entry, registry),
        );
        return EXIT.ok;
      });
    });
}

/** `record --as-of` a past day before the record was in the warehouse: says so, not today's page. */
export function formatNotYet(notYet: RecordNotYetView): string {
  return [
    `record ${notYet.id} · ${notYet.title} (${notYet.catalogCode}): not in the warehouse at the end of ${notYet.asOf.day} (Asia/Shanghai)`,
    `  its first version was written ${shanghaiTime(notYet.asOf.firstVersionAt)}: nothing of it was shown that day`,
    ...(notYet.disclosure ? [`disclosure on ${notYet.disclosure.asOf}: ${notYet.disclosure.label}`] : []),
    `\`record ${notYet.id}\` without --as-of shows it as it is now`,
  ].join('\n');
}

/** How `record --as-of` names each kind of what came later: [one, more than one]. */
const LATER_WORDS: Record<LaterKind, readonly [string, string]> = {
  versions: ['version', 'versions'],
  lineage: ['lineage row', 'lineage rows'],
  redeliveries: ['unchanged re-delivery', 'unchanged re-deliveries'],
  procedures: ['legal procedure', 'legal procedures'],
};

/**
 * A past day's page: what it is (the record at the day's end) and what it leaves out, counted, since it came later
 * (the list the console's banner renders too: laterThanDayCounts).
 */
function asOfLines(view: RecordView): string[] {
  if (!view.asOf) return [];
  const { day, later } = view.asOf;
  const left = laterThanDayCounts(later).map(
    ([count, kind]) => `${count} later ${LATER_WORDS[kind][count === 1 ? 0 : 1]}`,
  );
  const head = `as it stood at the end of ${day} (Asia/Shanghai)`;
  if (left.length === 0) return [`${head}: nothing was added to it since`];
  return [`${head}; not shown: ${left.join(', ')} (\`record ${view.id}\` without --as-of shows them)`];
}

/** Where a version came from: a delivered row, or a legal procedure. */
function origin(version: RecordView['current']): string {
  if (version.procedureId !== null) return `written by legal procedure #${version.procedureId}`;
  return `run ${version.runId}, ${version.fileName} row ${version.rowNumber}`;
}

/**
 * The catalog entry version a version was stored under (`catalog xzcf v3`): the one its disclosure, repair and
 * correction are judged by, never another (an auditor reads each version's rules from it).
 */
function storedUnder(view: RecordView, version: { catalogVersion: number }): string {
  return `${view.catalogCode} v${version.catalogVersion}`;
}

const show = (value: unknown) => (value === undefined || value === null ? '—' : String(value));

/**
 * A credit repair made before the first day the version in force on the day asked may be repaired: it stays in
 * the history, and says it stops nothing (the disclosure line says which repair, if any, is in force).
 */
function voidRepairNote(view: RecordView, procedure: RecordView['procedures'][number]): string {
  if (procedure.kind !== 'repair' || !view.disclosure) return '';
  const on = todayInShanghai(procedure.performedAt);
  if (on > view.disclosure.asOf) return '';
  const early = repairPredatesPeriod({ procedureId: procedure.id, on }, view.disclosure.period);
  return early ? ` · ${earlyRepairText(early)}` : '';
}

/** The record's public disclosure on the day asked, with how its period was found, and its 保存期限. */
function disclosureLines(view: RecordView): string[] {
  const disclosure = view.disclosure;
  if (!disclosure) return [];
  const note = periodNote(disclosure.period);
  const retention = disclosure.retention;
  return [
    `disclosure on ${disclosure.asOf}: ${disclosure.label}`,
    ...(note ? [`  ${note}`] : []),
    ...(retention ? [`retention (保存期限): ${retention.label}`, `  ${RETENTION_NOTE}`] : []),
  ];
}

/**
 * The human-readable record page: header, current version, history, lineage, conflicts side by side. Personal
 * data masked line by line and cell by cell, never the whole page (maskedTable).
 */
export function formatRecordView(
  view: RecordView,
  entry: CatalogEntry | undefined,
  providers: readonly Provider[] = [],
): string {
  const shown = maskPersonalText;
  const title = (field: string) => entry?.schema.properties[field]?.title ?? field;
  const fields = entry ? Object.keys(entry.schema.properties) : Object.keys(view.current.data).sort();
  const noted = view.lineage.some((source) => source.note);
  const lines = [
    ...[
      `record ${view.id} · ${view.title} (${view.catalogCode}) · key ${view.key}`,
      ...asOfLines(view),
      `subject ${show(view.subjectCode)} · channel level ${view.level} · version ${view.current.versionNo} of ${view.versions.length}`,
      ...recordStatusLines(view),
      ...disclosureLines(view),
      ...(view.objection ? [objectionMarkLine(view.objection)] : []),
      '',
      `${view.status === 'current' ? 'current' : 'last'} version v${view.current.versionNo} (${origin(view.current)}; catalog ${storedUnder(view, view.current)}):`,
    ].map(shown),
    maskedTable(
      ['field', 'code', 'value'],
      fields
        .filter((field) => view.current.data[field] !== undefined)
        .map((field) => [title(field), field, show(view.current.data[field])]),
    ),
    '',
    'history (oldest first, versions and legal procedures):',
    maskedTable(
      ['event', 'catalog', 'run', 'file', 'row', 'at', 'changed fields / procedure'],
      view.history.map((event) => {
        if (event.event === 'procedure') {
          const procedure = view.procedures.find((p) => p.id === event.procedureId);
          return [
            `procedure #${event.procedureId}`,
            '—',
            '—',
            '—',
            '—',
            shanghaiTime(event.at),
            procedure
              ? `${procedureSummary(procedure)}${voidRepairNote(view, procedure)} · ${procedureLine(procedure)}`
              : event.kind,
          ];
        }
        const version = view.versions.find((v) => v.versionNo === event.versionNo);
        return [
          `v${event.versionNo}`,
          version ? storedUnder(view, version) : '—',
          show(version?.runId),
          version?.procedureId ? `(procedure #${version.procedureId})` : show(version?.fileName),
          show(version?.rowNumber),
          shanghaiTime(version?.createdAt ?? event.at),
          version?.changedFields.join(', ') || (event.versionNo === 1 ? '(first)' : '—'),
        ];
      }),
    ),
    '',
    'lineage (every delivered row that changed something, and first deliveries):',
    maskedTable(
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
        ...(noted ? ['note'] : []),
      ],
      view.lineage.map((source) => [
        source.id,
        source.runId,
        source.fileName,
        source.rowNumber,
        providerLabel(providers, source.providerCode),
        source.level,
        source.outcome,
        source.versionId === null
          ? '—'
          : `v${view.versions.find((v) => v.id === source.versionId)?.versionNo ?? '?'}`,
        shanghaiTime(source.receivedAt),
        show(source.workingDays),
        source.late ? 'late' : source.late === null ? 'pending' : '',
        ...(noted ? [source.note ?? ''] : []),
      ]),
    ),
    '',
    'deliveries by channel (unchanged re-deliveries of a run are counted, not listed row by row):',
    maskedTable(
      ['provider', 'level', 'files', 're-deliveries', 'of them compact', 'first', 'last'],
      view.deliveries.map((channel) => [
        providerLabel(providers, channel.providerCode),
        channel.level,
        channel.files,
        channel.redeliveries,
        channel.compacted,
        `${channel.first.fileName} ${shanghaiTime(channel.first.receivedAt)}`,
        `${channel.last.fileName} ${shanghaiTime(channel.last.receivedAt)}`,
      ]),
    ),
  ];
  lines.push('', ...refusedWithdrawalLines(view, providers));
  if (view.disagreements.length === 0) {
    lines.push('', 'conflicts: none');
  }
  for (const disagreement of view.disagreements) {
    lines.push(
      '',
      shown(
        `conflict #${disagreement.sourceId} (${disagreement.status}): ${disagreement.level} ${providerLabel(providers, disagreement.providerCode)}, ` +
          `${disagreement.fileName} row ${disagreement.rowNumber}, ${disagreement.outcome}, received ${shanghaiTime(disagreement.receivedAt)}`,
      ),
      ...(disagreement.reason ? [shown(disagreement.reason)] : []),
      maskedTable(
        ['field', `current v${view.current.versionNo}`, 'delivered'],
        disagreement.differences.map((difference) => [
          difference.title,
          show(difference.current),
          show(difference.delivered),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/**
 * Providers' requests to withdraw the record that were refused: the record stays as it is, but the decision may
 * have been revoked where it was made, so an officer may have to act (a legal procedure).
 */
function refusedWithdrawalLines(view: RecordView, providers: readonly Provider[]): string[] {
  if (view.refusedWithdrawals.length === 0) return ['withdrawal requests refused: none'];
  return [
    'withdrawal requests refused (a provider asked to withdraw the record and may not: an officer may have to act):',
    maskedTable(
      ['refused', 'provider', 'level', 'run', 'file', 'row', 'signal', 'code'],
      view.refusedWithdrawals.map((refused) => [
        shanghaiTime(refused.refusedAt),
        providerLabel(providers, refused.providerCode),
        refused.level,
        refused.runId,
        refused.fileName,
        refused.rowNumber,
        show(refused.signal),
        refused.code,
      ]),
    ),
  ];
}
