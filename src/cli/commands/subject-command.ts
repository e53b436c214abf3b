import type { Command } from 'commander';
import { shanghaiTime, todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { pastDay } from '../../disclosure/record-disclosures.ts';
import { RETENTION_NOTE } from '../../disclosure/record-retention.ts';
import { normalizeCode } from '../../identifiers/normalize-code.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { markStageText } from '../../objections/objection-titles.ts';
import {
  type RetiredRecord,
  type SubjectArchive,
  SubjectKindNeeded,
  type SubjectUnderCode,
  subjectArchive,
} from '../../records/subject-archive.ts';
import { SUBJECT_KINDS, type SubjectKind } from '../../records/subject-kind.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { type ObjectionMark, objectionMarks } from '../../warehouse/objections-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { maskedTable } from '../format-table.ts';
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
    .option(
      '--kind <kind>',
      'person or organization: whose archive, when the code names both (an ID number that is also a valid USCC)',
    )
    .option('--json', 'print JSON')
    .action(async (code: string, options: { asOf?: string; kind?: string; json?: boolean }) => {
      const asOf = options.asOf === undefined ? todayInShanghai() : dateOption('--as-of', options.asOf);
      const kind = kindOption(options.kind);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const archive = await withRetiredMarks(
          warehouse,
          await chosenArchive(warehouse, catalog, normalizeCode(code), asOf, kind),
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

function kindOption(text: string | undefined): SubjectKind | undefined {
  if (text === undefined) return undefined;
  const kind = SUBJECT_KINDS.find((candidate) => candidate === text);
  if (!kind) throw new UsageError(`--kind must be person or organization, not ${text}`);
  return kind;
}

const KIND_NAMES: Record<SubjectKind, string> = { person: 'natural person', organization: 'organization' };

const counted = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;

/** `a natural person (1 current record)`, `an organization (0 current records, 1 no longer current)` */
function subjectText(subject: SubjectUnderCode): string {
  const kind = KIND_NAMES[subject.kind];
  const retired = subject.retired > 0 ? `, ${subject.retired} no longer current` : '';
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} (${counted(subject.current, 'current record')}${retired})`;
}

/**
 * A code that names a natural person and an organization (an ID number that checks as a USCC too) is two subjects:
 * without `--kind` the command says so and shows neither (exit 2), rather than both one after the other. An
 * archive is one subject's (Art. 9); two printed together are easily read, copied or sent on as one, which is the
 * very mixing this prevents; and a script reading `--json` gets one archive or a failure, never a list sometimes.
 */
async function chosenArchive(
  warehouse: Warehouse,
  catalog: Catalog,
  code: string,
  asOf: string,
  kind: SubjectKind | undefined,
): Promise<SubjectArchive> {
  try {
    return await subjectArchive(warehouse, catalog, code, asOf, { kind });
  } catch (error) {
    if (!(error instanceof SubjectKindNeeded)) throw error;
    throw new UsageError(
      `the code ${error.subjectCode} names two subjects: ${error.subjects.map(subjectText).join(' and ')}; ` +
        'add --kind person or --kind organization to see one archive',
    );
  }
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

/**
 * `异议处理中 #3 (open, due 2026-02-25)`, `异议处理中 #3 (appeal since 2026-12-06)`; `… on record 4` when the
 * objection is on a record this one replaced (fromRecordId).
 */
const markFlag = (mark: ObjectionMark) =>
  `异议处理中 #${mark.objectionId} (${markStageText(mark)})${mark.fromRecordId === undefined ? '' : ` on record ${mark.fromRecordId}`}`;

/**
 * The archive as text: one table per catalog entry, newest first, each record's disclosure state and 保存期限 on
 * the archive's day (RETENTION_NOTE said once, below the tables), personal data masked line by line and cell by
 * cell, never the whole text (maskedTable).
 */
export function formatSubjectArchive(archive: ShownArchive): string {
  const shown = maskPersonalText;
  const total = archive.groups.reduce((sum, group) => sum + group.records.length, 0);
  const other = archive.alsoUnderCode;
  // Whose archive it is is said when the code names another subject too: otherwise nothing to tell apart.
  const kind = other && archive.kind ? ` (${KIND_NAMES[archive.kind]})` : '';
  const lines = [
    shown(
      `subject ${archive.subjectCode}${archive.name ? ` ${archive.name}` : ''}${kind}: ${total} current record(s) in ${archive.groups.length} catalog entr${archive.groups.length === 1 ? 'y' : 'ies'}`,
    ),
  ];
  if (other)
    lines.push(
      `the code also names ${subjectText(other)}: --kind ${other.kind} shows its archive, not part of this one`,
    );
  if (total === 0 && archive.retired.length === 0)
    lines.push('no records: check the code, or see `credit-etl runs list` for what was loaded');
  for (const group of archive.groups) {
    lines.push(
      '',
      shown(`${group.title} (${group.catalogCode}) — ${group.records.length}`),
      maskedTable(
        [
          'record',
          'key',
          'formed',
          'version',
          'level',
          'lineage',
          `disclosure on ${archive.asOf}`,
          'retention (保存期限)',
          'flags',
        ],
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
          record.disclosure?.retention?.label ?? '—',
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
  // Once for the whole archive, not on every line: a 保存期限 that has run deletes nothing.
  if (total > 0) lines.push('', `retention (保存期限) on ${archive.asOf}: ${RETENTION_NOTE}`);
  if (archive.retired.length > 0) {
    lines.push(
      '',
      `no longer current (legal procedures, kept) — ${archive.retired.length}`,
      maskedTable(
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
  return lines.join('\n');
}
