import type { Command } from 'commander';
import { shanghaiTime, todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { pastDay } from '../../disclosure/record-disclosures.ts';
import { normalizeCode } from '../../identifiers/normalize-code.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { dueText } from '../../objections/objection-titles.ts';
import { type RetiredRecord, type SubjectArchive, subjectArchive } from '../../records/subject-archive.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { type ObjectionMark, objectionMarks } from '../../warehouse/objections-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatTable } from '../format-table.ts';
import { withReadingWarehouse } from '../with-warehouse.ts';
import { dateOption } from './date-options.ts';

export function registerSubjectCommand(program: Command): void {
  program
    .command('subject')
    .description("one subject's credit archive (Art. 9): every current record, grouped by catalog entry")
    .argument('<code>', 'unified social credit code, resident ID number or other subject code')
    .option(
      '--as-of <date>',
      'the day the disclosure states are for, YYYY-MM-DD (default: today, Asia/Shanghai)',
    )
    .option('--json', 'print JSON')
    .action(async (code: string, options: { asOf?: string; json?: boolean }) => {
      const asOf = options.asOf === undefined ? todayInShanghai() : dateOption('--as-of', options.asOf);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const archive = await withRetiredMarks(
          warehouse,
          await subjectArchive(warehouse, catalog, normalizeCode(code), asOf),
        );
        if (options.json) {
          console.log(maskPersonalText(JSON.stringify(archive)));
          return EXIT.ok;
        }
        console.log(formatSubjectArchive(archive));
        return EXIT.ok;
      });
    });
}

/**
 * A record no longer current can still be marked: withdrawn on the platform's upheld result, its objection then
 * appealed (申诉) or taken to review. `record` shows that mark; so does the archive, beside the procedure.
 */
export type ShownArchive = Omit<SubjectArchive, 'retired'> & {
  retired: Array<RetiredRecord & { objection?: ObjectionMark | null }>;
};

async function withRetiredMarks(warehouse: Warehouse, archive: SubjectArchive): Promise<ShownArchive> {
  // The marks of the archive's day: a past day's as they stood at its end.
  const marks = await objectionMarks(
    warehouse,
    archive.retired.map((record) => record.recordId),
    pastDay(archive.asOf),
  );
  return {
    ...archive,
    retired: archive.retired.map((record) => ({ ...record, objection: marks.get(record.recordId) ?? null })),
  };
}

const OUTCOME_ORDER = ['inserted', 'updated', 'unchanged', 'merged', 'conflict'];

/** `异议处理中 #3 (appeal, due 2026-02-25)` */
const markFlag = (mark: ObjectionMark) =>
  `异议处理中 #${mark.objectionId} (${mark.stage}, due ${dueText(mark)})`;

/** The archive as text: one table per catalog entry, newest first, personal data masked. */
export function formatSubjectArchive(archive: ShownArchive): string {
  const total = archive.groups.reduce((sum, group) => sum + group.records.length, 0);
  const name = archive.groups.flatMap((group) => group.records).find((record) => record.data.CF_XDR_MC)
    ?.data.CF_XDR_MC;
  const lines = [
    `subject ${archive.subjectCode}${name ? ` ${name}` : ''}: ${total} current record(s) in ${archive.groups.length} catalog entr${archive.groups.length === 1 ? 'y' : 'ies'}`,
  ];
  if (total === 0 && archive.retired.length === 0)
    lines.push('no records: check the code, or see `credit-etl runs list` for what was loaded');
  for (const group of archive.groups) {
    lines.push(
      '',
      `${group.title} (${group.catalogCode}) — ${group.records.length}`,
      formatTable(
        ['record', 'key', 'formed', 'version', 'level', 'lineage', `disclosure on ${archive.asOf}`, 'flags'],
        group.records.map((record) => [
          record.recordId,
          record.businessKey,
          record.formationDate ?? '—',
          `v${record.versionNo}`,
          record.level,
          OUTCOME_ORDER.filter((outcome) => record.lineage[outcome])
            .map((outcome) => `${outcome} ${record.lineage[outcome]}`)
            .join(', '),
          record.disclosure?.label ?? '—',
          [
            record.late ? 'late' : record.late === null ? 'timeliness pending' : '',
            record.conflictPending > 0 ? `conflict pending (${record.conflictPending})` : '',
            record.objection ? markFlag(record.objection) : '',
          ]
            .filter(Boolean)
            .join(', '),
        ]),
      ),
    );
  }
  if (archive.retired.length > 0) {
    lines.push(
      '',
      `no longer current (legal procedures, kept) — ${archive.retired.length}`,
      formatTable(
        ['record', 'catalog', 'key', 'status', 'procedure', 'basis', 'flags'],
        archive.retired.map((record) => [
          record.recordId,
          record.catalogCode,
          record.businessKey,
          record.status === 'withdrawn'
            ? 'withdrawn'
            : `superseded by ${record.supersededBy}${record.supersededBySubject && record.supersededBySubject !== archive.subjectCode ? ` (subject ${record.supersededBySubject})` : ''}`,
          `#${record.procedureId} ${shanghaiTime(record.performedAt)}`,
          record.basis,
          record.objection ? markFlag(record.objection) : '',
        ]),
      ),
    );
  }
  lines.push('', 'details of one record: credit-etl record <record>');
  return maskPersonalText(lines.join('\n'));
}
