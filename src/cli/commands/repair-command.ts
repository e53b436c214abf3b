import type { Command } from 'commander';
import { repairRecord } from '../../procedures/credit-repair.ts';
import { type GroundsOptions, perform, requireRecordedEntry, withGrounds } from './procedure-command.ts';

/**
 * `repair <record>` (信用修复): ends the record's public disclosure early through the procedure log; the record
 * stays current and nothing is deleted. Refused (exit 2, nothing done) before the minimum disclosure period has
 * run, naming the day it becomes possible, and for a withdrawn, superseded, expired or already repaired record (a
 * repair in force: one made before the severity now in force was raised is not, and the record may be repaired again).
 */
export function registerRepairCommand(program: Command): void {
  withGrounds(
    program
      .command('repair')
      .description(
        "信用修复: end a record's public disclosure early (after its minimum period), as a logged legal procedure; nothing is deleted",
      )
      .argument('<record>', 'record id, whole business key, or decision number'),
  ).action(async (typed: string, options: GroundsOptions) => {
    await perform(typed, options, async (warehouse, catalog, recordId, grounds) => {
      await requireRecordedEntry(warehouse, catalog, recordId);
      return repairRecord(warehouse, catalog, recordId, grounds);
    });
  });
}
