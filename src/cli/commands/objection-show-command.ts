import type { Command } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText, maskTypedLookup } from '../../log/mask-personal-data.ts';
import { verificationStates } from '../../objections/verification.ts';
import { objectionSteps } from '../../warehouse/objection-log-repository.ts';
import { objectionRows } from '../../warehouse/objections-repository.ts';
import { EXIT } from '../exit-codes.ts';
import { formatObjection, withOverdue } from '../format-objection.ts';
import { objectionId, readCommand } from './objection-subcommand.ts';

/** `objection show`: one objection and its whole trail. */
export function registerObjectionShow(objection: Command): void {
  objection
    .command('show')
    .description('one objection and its whole trail: every step with who, when, basis and note')
    .argument('<id>', 'objection id')
    .option('--json', 'print JSON')
    .action(async (typed: string, options: { json?: boolean }) => {
      const id = objectionId(typed);
      await readCommand(async (warehouse) => {
        const [row] = await objectionRows(warehouse, { id });
        if (!row) {
          console.error(`no objection ${maskTypedLookup(String(id))}: see \`credit-etl objection list\``);
          return EXIT.usage;
        }
        const steps = await objectionSteps(warehouse, id);
        const asOf = todayInShanghai();
        const verification = (await verificationStates(warehouse, [id], asOf)).get(id)!;
        if (options.json) {
          console.log(maskPersonalText(JSON.stringify({ ...withOverdue(row, asOf), verification, steps })));
          return EXIT.ok;
        }
        console.log(maskPersonalText(formatObjection(row, steps, asOf, verification)));
        return EXIT.ok;
      });
    });
}
