import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText, maskTypedLookup } from '../../log/mask-personal-data.ts';
import { ObjectionRefused } from '../../objections/objection-workflow.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { withOfficerWarehouse, withReadingWarehouse } from '../with-warehouse.ts';

/**
 * What the `objection` subcommands share: the objection id they are given, the role they run as (officer to
 * write, any role to read), and how they print an answer.
 */

export function objectionId(typed: string): number {
  const id = Number(typed);
  if (!/^\d+$/.test(typed) || !Number.isSafeInteger(id) || id <= 0)
    throw new UsageError(
      `${maskTypedLookup(typed)} is not an objection id: see \`credit-etl objection list\``,
    );
  return id;
}

type Work = (warehouse: Warehouse, catalog: Catalog) => Promise<number>;

/**
 * A command that writes, as the officer: a refusal (blank grounds, a step out of order, a catalog entry not yet
 * recorded) is exit 2, nothing done; so is a login that is not an officer (withOfficerWarehouse).
 */
export async function officerCommand(work: Work): Promise<void> {
  const { config, logger } = commandContext();
  const catalog = await loadCatalog(config.catalogDir);
  process.exitCode = await withOfficerWarehouse(config, logger, async (warehouse) => {
    try {
      return await work(warehouse, catalog);
    } catch (error) {
      if (!(error instanceof ObjectionRefused)) throw error;
      console.error(maskPersonalText(`credit-etl: objection refused, nothing changed: ${error.message}`));
      return EXIT.usage;
    }
  });
}

export async function readCommand(work: Work): Promise<void> {
  const { config, logger } = commandContext();
  const catalog = await loadCatalog(config.catalogDir);
  process.exitCode = await withReadingWarehouse(config, logger, (warehouse) => work(warehouse, catalog));
}

export function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(maskPersonalText(json ? JSON.stringify(value) : text));
}
