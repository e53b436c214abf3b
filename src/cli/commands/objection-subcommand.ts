import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText, maskTypedLookup } from '../../log/mask-personal-data.ts';
import { maskStrings, recordTextMasker } from '../../objections/objection-masking.ts';
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

/**
 * An answer about one objection: as print, its JSON (which holds the applicant and the claim) masked against the
 * record's own personal values, the subject's ID even where it is a valid USCC too.
 */
export async function printObjection(
  warehouse: Warehouse,
  catalog: Catalog,
  json: boolean | undefined,
  value: { recordId: number } | { objection: { recordId: number } },
  text: string,
): Promise<void> {
  if (!json) return print(json, value, text);
  const recordId = 'objection' in value ? value.objection.recordId : value.recordId;
  const mask = await recordTextMasker(warehouse, catalog, [recordId]);
  print(
    json,
    maskStrings(value, (shown) => mask(recordId, shown)),
    text,
  );
}
