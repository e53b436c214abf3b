import type { Command } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { maskedObjections } from '../../objections/objection-masking.ts';
import {
  checkOverdueObjections,
  overdueLine,
  provisionalWarning,
} from '../../objections/overdue-objections.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { withWarehouse } from '../with-warehouse.ts';
import { pastOrTodayOption } from './date-options.ts';

/** `objection check`: overdue objections raised like a failed run (an objection-check run, as the engine). */
export function registerObjectionCheck(objection: Command): void {
  objection
    .command('check')
    .description(
      'raise overdue objections like a failed run: records an objection-check run, exit 1 when any is overdue',
    )
    .option('--as-of <date>', 'the day judged on, today or before (YYYY-MM-DD; default today, Asia/Shanghai)')
    .option('--json', 'print JSON')
    .action(async (options: { asOf?: string; json?: boolean }) => {
      // A day not yet come is not judged: refused (exit 2) before a run is recorded, not a run failed for good.
      const asOf =
        options.asOf === undefined
          ? todayInShanghai()
          : pastOrTodayOption('--as-of', options.asOf, {
              what: '核查日期',
              fix: '尚未到来的日子无从判断异议是否逾期，请填写今天或之前的日期',
            });
      const { config, logger } = commandContext();
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const check = await checkOverdueObjections(warehouse, asOf, logger);
        if (options.json) {
          // The objections' applicants and claims masked against their records' own personal values.
          const catalog = await loadCatalog(config.catalogDir);
          const shown = {
            ...check,
            overdue: await maskedObjections(warehouse, catalog, check.overdue),
            provisional: await maskedObjections(warehouse, catalog, check.provisional),
          };
          console.log(maskPersonalText(JSON.stringify(shown)));
        } else {
          console.log(
            `objection-check run ${check.runId}: ${check.overdue.length} overdue of ${check.checking} awaiting the platform's check as of ${asOf}`,
          );
          for (const overdue of check.overdue) console.log(maskPersonalText(`  ✗ ${overdueLine(overdue)}`));
          if (check.provisional.length > 0)
            console.error(maskPersonalText(`⚠ ${provisionalWarning(check.provisional)}`));
        }
        return check.status === 'failed' ? EXIT.failed : EXIT.ok;
      });
    });
}
