import type { Command } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText, maskTypedLookup } from '../../log/mask-personal-data.ts';
import { maskStrings, recordTextMasker } from '../../objections/objection-masking.ts';
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
      await readCommand(async (warehouse, catalog) => {
        const [found] = await objectionRows(warehouse, { id });
        if (!found) {
          console.error(`no objection ${maskTypedLookup(String(id))}: see \`credit-etl objection list\``);
          return EXIT.usage;
        }
        // Applicant, claim and notes masked against the record's own personal values (its subject's ID, even as
        // a USCC).
        const mask = await recordTextMasker(warehouse, catalog, [found.recordId]);
        const row = {
          ...found,
          applicant: mask(found.recordId, found.applicant),
          reason: mask(found.recordId, found.reason),
        };
        const steps = (await objectionSteps(warehouse, id)).map((step) => ({
          ...step,
          basis: step.basis === null ? null : mask(found.recordId, step.basis),
          note: step.note === null ? null : mask(found.recordId, step.note),
          // The open step's detail holds the objection as received: its applicant and claim.
          detail: maskStrings(step.detail, (text) => mask(found.recordId, text)),
        }));
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
