import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { objectionDue } from '../calendar/objection-due.ts';
import { deadlineAfter } from '../calendar/provisional-deadline.ts';
import { type Timeliness, timelinessChecker } from '../calendar/timeliness.ts';
import { calendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  type FormationFields,
  type LineageTimelinessRow,
  lineageTimelinessPages,
  noticeDeadlines,
  objectionDues,
} from '../warehouse/timeliness-integrity-repository.ts';
import type { RecordFinding, VerifyScope } from './integrity-finding.ts';
import { storedEntry } from './stored-entry.ts';

export interface TimelinessPage {
  /** Settled lineage rows whose timeliness was recomputed. */
  rows: number;
  /** Settled lineage rows of a file whose catalog entry version catalog/ does not hold: not recomputed. */
  unchecked: number;
  /** Settled notice deadlines and objection due dates recomputed (the last page carries them). */
  dates: number;
  findings: RecordFinding[];
}

/** Why a stored value and the calendar's can differ: the finding says both. */
const EITHER =
  'either it was settled wrongly (written behind the engine) or config/holidays.json changed after it was counted';

/**
 * Art. 10's timeliness of every settled lineage row in scope (`late` not pending), recomputed as the loader computed
 * it (stage-row.ts, fast-redelivery.ts) and `calendar recompute` settled it: the formation date field of the file's
 * catalog entry version, read from the row's data when it is a real day (none: on time, no count), against the day
 * (Asia/Shanghai) of the row's received time, by timelinessChecker on the process calendar; a row formed after
 * that day is named whatever it stores (the loader rejects it: no count, never on time). Then every settled
 * review-notice deadline (deadlineAfter from its issue day and working days) and every provisional objection due
 * date `calendar recompute` settled (objectionDue from its receipt). An open objection's due date as counted at
 * registration is verify-objection-dues.ts's (`objection-due-differs`). The database guards (034, 038) only see
 * that a settlement was logged, not what it wrote, nor that the holiday file still gives what was counted with it.
 *
 * A row a compact unchanged run only counts (`unchanged_deliveries`) has no lineage row and no value of its own.
 */
export async function* verifyTimeliness(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: VerifyScope,
  days: WorkingDayCalendar = calendar(),
  pageSize = 5_000,
): AsyncGenerator<TimelinessPage> {
  const fields: FormationFields = {};
  for (const entry of catalog.entries) {
    const versions = fields[entry.code] ?? {};
    versions[String(entry.version)] = entry.formationDateField;
    fields[entry.code] = versions;
  }
  const timeliness = timelinessChecker(days);
  // Nearly every row of a file shares its received time: one day computed per distinct time.
  let lastReceived = Number.NaN;
  let lastDay = '';
  for await (const rows of lineageTimelinessPages(warehouse, scope, fields, pageSize)) {
    const page: TimelinessPage = { rows: 0, unchecked: 0, dates: 0, findings: [] };
    for (const row of rows) {
      // A version gone (deleted behind the engine): the history check names it; nothing to count from here.
      if (!row.hasData && row.outcome !== 'withdrawn') continue;
      if (!storedEntry(catalog, row.catalogCode, row.catalogVersion)) {
        page.unchecked += 1;
        continue;
      }
      page.rows += 1;
      const time = row.receivedAt.getTime();
      if (time !== lastReceived) {
        lastReceived = time;
        lastDay = todayInShanghai(row.receivedAt);
      }
      const formation =
        typeof row.formation === 'string' && isRealIsoDate(row.formation) ? row.formation : undefined;
      // Formed after the day it was received: the loader rejects such a row (`date-in-future`), so one stored was
      // loaded before it did (counted on time, 0 working days) or written behind the engine. Never on time: named.
      if (formation !== undefined && formation > lastDay) {
        page.findings.push(
          rowDiffers(
            row,
            `formed ${formation}`,
            lastDay,
            `stored ${describe(row.late, row.workingDays)}, but it was formed after the day it was received, which no ` +
              'loaded row may be (date-in-future): it was loaded before the formation date was held to the day received, ' +
              'or written behind the engine; its timeliness has no count',
          ),
        );
        continue;
      }
      // As the loader: a row without a formation date (or a withdrawal's) is on time and counts no days.
      const computed: Timeliness = formation
        ? timeliness(formation, lastDay)
        : { late: false, workingDays: undefined };
      const workingDays = computed.workingDays ?? null;
      if (computed.late === row.late && workingDays === row.workingDays) continue;
      // Late when received, its count waiting for a year the calendar lacked then (timeliness.ts): settled, not wrong.
      if (row.late === true && computed.late === true && row.workingDays === null) continue;
      const from = formation
        ? `formed ${formation}`
        : row.outcome === 'withdrawn'
          ? 'a withdrawal, no formation date'
          : 'no formation date in its data';
      page.findings.push(
        rowDiffers(
          row,
          from,
          lastDay,
          `stored ${describe(row.late, row.workingDays)}, ${days.data.file} (version ${days.data.version}) gives ` +
            `${computed.late === undefined ? 'pending (a year it needs is not in the calendar)' : describe(computed.late, workingDays)}: ${EITHER}`,
        ),
      );
    }
    yield page;
  }

  const last: TimelinessPage = { rows: 0, unchecked: 0, dates: 0, findings: [] };
  // Notices are by provider, not catalog: a verify of one catalog leaves them out.
  if (scope.catalogCode === undefined) {
    for await (const notice of noticeDeadlines(warehouse, scope, pageSize)) {
      last.dates += 1;
      const counted = deadlineAfter(notice.issuedOn, notice.workingDays, days);
      if (!counted.provisional && counted.date === notice.deadline) continue;
      last.findings.push({
        recordId: null,
        catalogCode: null,
        businessKey: null,
        versionNo: null,
        problem: 'timeliness-differs',
        detail:
          `review notice ${notice.id} to ${notice.providerCode}, issued ${notice.issuedOn} with ${notice.workingDays} ` +
          `working days: stored deadline ${notice.deadline}, ${days.data.file} gives ${describeDate(counted)}: ${EITHER}`,
      });
    }
  }
  for await (const objection of objectionDues(warehouse, scope, pageSize)) {
    last.dates += 1;
    const counted = objectionDue(objection.receivedOn, days);
    if (!counted.provisional && counted.date === objection.dueOn) continue;
    last.findings.push({
      recordId: objection.recordId,
      catalogCode: objection.catalogCode,
      businessKey: objection.businessKey,
      catalogVersion: objection.keyCatalogVersion,
      versionNo: null,
      problem: 'timeliness-differs',
      detail:
        `objection ${objection.id}, received ${objection.receivedOn}: due date ${objection.dueOn} as settled by objection log step ${objection.settledBy}, ` +
        `${days.data.file} gives ${describeDate(counted)}: ${EITHER}`,
    });
  }
  yield last;
}

/** A lineage row's `timeliness-differs`: its file and row, what it was counted from and the day received, then why. */
function rowDiffers(
  row: LineageTimelinessRow,
  from: string,
  receivedDay: string,
  why: string,
): RecordFinding {
  return {
    recordId: row.recordId,
    catalogCode: row.catalogCode,
    businessKey: row.businessKey,
    catalogVersion: row.keyCatalogVersion,
    versionNo: null,
    problem: 'timeliness-differs',
    detail: `file ${row.sourceFileId} (${row.fileName}) row ${row.rowNumber} (${from}, received ${receivedDay}): ${why}`,
  };
}

function describe(late: boolean, workingDays: number | null): string {
  return `${late ? 'late' : 'on time'} (${workingDays === null ? 'no working-day count' : `${workingDays} working days`})`;
}

function describeDate(counted: { date: string; provisional: boolean }): string {
  return counted.provisional
    ? `only a provisional ${counted.date} (a year it crosses is not in the calendar)`
    : counted.date;
}
