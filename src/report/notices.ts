import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { deadlineAfter } from '../calendar/provisional-deadline.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { requireShown } from '../identifiers/shown-text.ts';
import type { Lookups } from '../normalize/derive-legacy-row.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { appendNoticeEvent } from '../warehouse/notice-events-repository.ts';
import {
  correctedBeforeIssue,
  type NoticeRecord,
  noticeHeldFiles,
  noticeTallies,
  recordNotice,
} from '../warehouse/notices-repository.ts';
import { rejectedCatalogCodes, rejectedFileLayouts } from '../warehouse/rejections-repository.ts';
import { lookupsOfFileRuns } from '../warehouse/run-lookups-repository.ts';
import { providersOfRun } from '../warehouse/source-files-repository.ts';
import { rejectedRowKey } from './notice-key.ts';
import { defaultOperator } from './notice-operator.ts';
import { type Provider, providerLabel } from './providers.ts';
import type { ReportScope } from './report-scope.ts';

/** Working days a provider has to resubmit (DESIGN.md "Working days"; configurable per notice). */
export const DEFAULT_NOTICE_WORKING_DAYS = 7;

/** How a provisional deadline is labelled wherever it is shown (letter, CLI). */
export const PROVISIONAL_NOTE = {
  en: 'provisional: counted Mon–Fri, the holiday calendar lacks a year it crosses; `credit-etl calendar recompute` sets it',
  zh: '暂定：所跨年份的节假日安排尚未录入，暂按周一至周五（除元旦、劳动节、国庆节）计算，录入后重新计算并以更新后的期限为准',
} as const;

export interface NoticeRequest {
  providerCode: string;
  /** A run, or the provider's deliveries in a date range. */
  scope: ReportScope;
  workingDays?: number;
  /** The day the notice is issued (Asia/Shanghai), default today; the deadline counts from it. */
  issuedOn?: string;
  /** A notice of this scope exists: record a re-send of it (`resent`) instead of refusing. */
  reissue?: boolean;
  /** Who issues it (the notice log), default the OS user. */
  operator?: string;
  /** The provider registry, for names in refusals. */
  providers?: readonly Provider[];
  /**
   * Lookup tables for the scope's legacy-layout files whose run has none kept (runs loaded before migration 047):
   * a rejected row's looked-up key field (处罚机关统一社会信用代码) is then the one its correction will carry. A
   * run's own tables, kept when it was loaded (`ingest --lookups`, a pipeline's `lookups`), always come first:
   * they are what its files were read with.
   */
  lookups?: Lookups;
}

/** A notice that must not be issued (nothing in it, another provider's run, a copy): the message says why. */
export class NoticeRefused extends Error {
  override readonly name = 'NoticeRefused';
}

export interface Notice {
  id: number;
  providerCode: string;
  scope: ReportScope;
  issuedOn: string;
  workingDays: number;
  deadline: string;
  /** The deadline crosses a year without calendar data: counted Mon–Fri until `calendar recompute`. */
  provisional: boolean;
  /** The rows it asks for: its listed rows, and the valid rows of its files refused whole (`held`). */
  rows: number;
  /**
   * Valid rows of the scope's files held back whole (over the reject threshold, `failed-threshold`): none was
   * loaded, and the notice asks for each such file again whole.
   */
  held: number;
  /** Rows of the scope a later delivery had corrected before it was issued: left out of it. */
  alreadyCorrected: number;
  /** The scope already had this notice: a re-send was recorded in its log instead of issuing a copy. */
  reissued?: boolean;
}

/**
 * Records a review notice: the provider's rejected rows and conflicting rows in the scope, each with the key
 * its correction will carry, less those a later delivery corrected already (unless their file was refused whole:
 * that file is asked for whole). Returns the notice with its deadline (start day not counted). Refuses
 * (NoticeRefused) a run that holds no file of the provider, a scope with nothing to notify or nothing left to
 * correct, and a second notice of the same scope, unless `reissue` asks to record a re-send of the one there is.
 */
export async function createNotice(
  warehouse: Warehouse,
  catalog: Catalog,
  request: NoticeRequest,
): Promise<Notice> {
  const workingDays = request.workingDays ?? DEFAULT_NOTICE_WORKING_DAYS;
  const issuedOn = request.issuedOn ?? todayInShanghai();
  const operator = request.operator ?? defaultOperator();
  // Who issues it goes into the notice log: it must show something (053), refused before anything is written.
  requireShown(operator, '--operator', '经办人', NoticeRefused);
  const label = (code: string) => providerLabel(request.providers ?? [], code);
  if (request.scope.kind === 'run') {
    const delivered = await providersOfRun(warehouse, request.scope.runId);
    if (!delivered.includes(request.providerCode))
      throw new NoticeRefused(
        `run ${request.scope.runId} holds no delivery of ${label(request.providerCode)}: ` +
          (delivered.length === 0
            ? 'it loaded no file'
            : `its files were delivered by ${delivered.map(label).join(', ')}; give --provider of that department`),
      );
  }
  const { date: deadline, provisional } = deadlineAfter(issuedOn, workingDays);
  const versionOfFile = await rejectedFileVersions(warehouse, request.scope);
  const lookupsOfFile = await lookupsOfFileRuns(warehouse, [...versionOfFile.keys()]);
  const recorded = await recordNotice(
    warehouse,
    {
      provider_code: request.providerCode,
      scope: request.scope,
      issued_on: issuedOn,
      working_days: workingDays,
      deadline,
      provisional,
    },
    (rejection) =>
      rejectedRowKey(catalog, rejection.catalogCode, rejection.raw, rejection.errors, {
        version: versionOfFile.get(rejection.sourceFileId),
        lookups: lookupsOfFile.get(rejection.sourceFileId) ?? request.lookups ?? 'not-kept',
      }),
    operator,
  );
  if (recorded.kind === 'empty')
    throw new NoticeRefused(
      `nothing to notify: no rejected or conflicting row of ${label(request.providerCode)} in ` +
        `${scopeInWords(request.scope)}; no notice was issued`,
    );
  if (recorded.kind === 'all-corrected')
    throw new NoticeRefused(
      `nothing left to correct: all ${recorded.corrected} rejected or conflicting row(s) of ` +
        `${label(request.providerCode)} in ${scopeInWords(request.scope)} were corrected by later deliveries; ` +
        'no notice was issued',
    );
  if (recorded.kind === 'duplicate') {
    const { existing } = recorded;
    if (!request.reissue)
      throw new NoticeRefused(
        `notice ${existing.id} (issued ${existing.issued_on}) already covers ${scopeInWords(request.scope)} for ` +
          `${label(request.providerCode)}: write it again with \`credit-etl report notice --id ${existing.id} --out <file.xlsx>\`, ` +
          'or add --reissue to record a re-send of it in its log (no copy is made)',
      );
    await appendNoticeEvent(warehouse, { notice_id: existing.id, kind: 'resent', operator });
    return { ...(await existingNotice(warehouse, existing)), reissued: true };
  }
  const { id, rows, held, alreadyCorrected } = recorded;
  return {
    id,
    providerCode: request.providerCode,
    scope: request.scope,
    issuedOn,
    workingDays,
    deadline,
    provisional,
    rows,
    held,
    alreadyCorrected,
  };
}

/**
 * Issues a notice (createNotice: a new one, or with `reissue` a re-send of the scope's) and writes it, in one
 * transaction: `write` gets the transaction, in which the notice, its number (its id) and its log are already
 * there, and writes the workbook. When `write` throws, or the commit fails, nothing is recorded: no notice, no
 * `issued` or `resent` event, no notice number used (insertNotice). Its writer puts the file under a temporary
 * name and in place only once this has returned (report-file.ts stageReportFile): a notice that was not recorded
 * never has a file. Meanwhile its provider's other notices wait (its lock is held to the commit), and, for a new
 * notice, every other new notice (the number's).
 */
export async function issueNotice(
  warehouse: Warehouse,
  catalog: Catalog,
  request: NoticeRequest,
  write: (trx: Warehouse, notice: Notice) => Promise<void>,
): Promise<Notice> {
  return warehouse.transaction(async (trx) => {
    const notice = await createNotice(trx, catalog, request);
    await write(trx, notice);
    return notice;
  });
}

/**
 * The entry version each file of the scope's rejections was read by: a rejected row's cells are keyed by that
 * version's fields, and a legacy layout's row is mapped onto the model by that version (notice-key.ts).
 */
async function rejectedFileVersions(
  warehouse: Warehouse,
  scope: ReportScope,
): Promise<Map<number, number | null>> {
  const versions = new Map<number, number | null>();
  for (const catalogCode of await rejectedCatalogCodes(warehouse, scope))
    for (const file of await rejectedFileLayouts(warehouse, scope, catalogCode))
      versions.set(file.sourceFileId, file.catalogVersion);
  return versions;
}

function scopeInWords(scope: ReportScope): string {
  if (scope.kind === 'run') return `run ${scope.runId}`;
  if (scope.kind === 'file') return `source file ${scope.sourceFileId}`;
  return `deliveries received ${scope.from} to ${scope.to}`;
}

async function existingNotice(warehouse: Warehouse, notice: NoticeRecord): Promise<Notice> {
  const [tally] = await noticeTallies(warehouse, { noticeId: notice.id });
  return {
    id: notice.id,
    providerCode: notice.provider_code,
    scope: notice.scope,
    issuedOn: notice.issued_on,
    workingDays: notice.working_days,
    deadline: notice.deadline,
    provisional: notice.provisional,
    rows: tally?.rows ?? 0,
    held: (await noticeHeldFiles(warehouse, notice.id)).reduce((sum, file) => sum + file.held, 0),
    alreadyCorrected: await correctedBeforeIssue(warehouse, notice.id),
  };
}
