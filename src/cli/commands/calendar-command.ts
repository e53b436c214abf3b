import type { Command } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { recomputePending } from '../../calendar/recompute-pending.ts';
import { missingCalendarYearAhead } from '../../schedule/calendar-watch.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { formatTable } from '../format-table.ts';
import { withWarehouse } from '../with-warehouse.ts';

/** `calendar check|show|recompute`: the holiday calendar (config/holidays.json) and what waited for it. */
export function registerCalendarCommand(program: Command): void {
  const calendarCommand = program
    .command('calendar')
    .description('the working-day calendar (State Council holiday notices) in CREDIT_ETL_HOLIDAYS_FILE');
  calendarCommand
    .command('check')
    .description('validate the holidays file and warn when a year without data begins within 60 days')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      // Reaching here means the file is valid: every command validates it at start (exit 2 otherwise).
      const { calendar } = commandContext().config;
      const years = calendar.calendarYears();
      const missing = missingCalendarYearAhead(todayInShanghai(), calendar);
      if (options.json) {
        console.log(
          JSON.stringify({ file: calendar.data.file, version: calendar.data.version, years, missing }),
        );
        return;
      }
      console.log(
        `${calendar.data.file} (version ${calendar.data.version}): valid, covers ${years.from}–${years.to}`,
      );
      if (missing) console.error(`⚠ ${missing.message}`);
    });
  calendarCommand
    .command('show')
    .description('years covered with their source; --year lists its days off and adjusted workdays')
    .option('--year <yyyy>', 'one year in full')
    .option('--json', 'print JSON')
    .action((options: { year?: string; json?: boolean }) => {
      const { calendar } = commandContext().config;
      const { years } = calendar.data;
      if (options.year !== undefined) {
        if (!/^\d{4}$/.test(options.year))
          throw new UsageError(`--year ${options.year}: a year is four digits (2026)`);
        const entry = years.get(Number(options.year));
        if (!entry) {
          const { from, to } = calendar.calendarYears();
          throw new UsageError(
            `--year ${options.year}: the calendar covers ${from}–${to} (${calendar.data.file})`,
          );
        }
        if (options.json) console.log(JSON.stringify({ year: Number(options.year), ...entry }));
        else {
          console.log(`${options.year}: ${entry.source}`);
          console.log(`days off (放假): ${entry.holidays.join(' ')}`);
          console.log(`adjusted workdays (调休上班): ${entry.workdays.join(' ') || '—'}`);
        }
        return;
      }
      const rows = [...years].sort(([a], [b]) => a - b);
      if (options.json) {
        console.log(
          JSON.stringify(
            rows.map(([year, entry]) => ({
              year,
              source: entry.source,
              holidays: entry.holidays.length,
              workdays: entry.workdays.length,
            })),
          ),
        );
        return;
      }
      console.log(`${calendar.data.file} (version ${calendar.data.version})`);
      console.log(
        formatTable(
          ['year', 'days off', 'workdays', 'source'],
          rows.map(([year, entry]) => [year, entry.holidays.length, entry.workdays.length, entry.source]),
        ),
      );
    });
  calendarCommand
    .command('recompute')
    .description(
      'after adding a year: settle pending timeliness flags, provisional notice deadlines and objection due dates, logged in calendar_recomputes',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { config, logger } = commandContext();
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const result = await recomputePending(warehouse, config.calendar);
        logger.info(`calendar recompute ${result.id}`, { ...result });
        if (options.json) {
          console.log(JSON.stringify(result));
          return EXIT.ok;
        }
        const { timeliness, deadlines, objectionDues } = result;
        console.log(
          `calendar ${result.calendar.file} (version ${result.calendar.version}, ${result.calendar.from}–${result.calendar.to}); logged as recompute ${result.id}`,
        );
        console.log(
          `timeliness: ${timeliness.decided} pending row(s) decided (${timeliness.late} late), ${timeliness.stillPending} still pending`,
        );
        console.log(
          `notice deadlines: ${deadlines.decided} provisional decided (${deadlines.moved} moved), ${deadlines.stillProvisional} still provisional`,
        );
        for (const change of deadlines.changes)
          console.log(`  notice ${change.noticeId}: ${change.from} → ${change.to}`);
        console.log(
          `objection due dates: ${objectionDues.decided} provisional decided (${objectionDues.moved} moved), ${objectionDues.stillProvisional} still provisional`,
        );
        for (const change of objectionDues.changes)
          console.log(`  objection ${change.objectionId}: ${change.from} → ${change.to}`);
        return EXIT.ok;
      });
    });
}
