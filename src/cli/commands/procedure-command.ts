import type { Command } from 'commander';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import {
  correctRecord,
  type Grounds,
  type ProcedureDone,
  reattributeRecord,
  supersedeRecord,
  withdrawRecord,
} from '../../procedures/legal-procedures.ts';
import { ProcedureRefused } from '../../procedures/run-procedure.ts';
import { maskedProcedureEntries } from '../../records/mask-procedure.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { procedureEntries } from '../../warehouse/procedure-log-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { procedureLine, procedureSummary } from '../format-procedure.ts';
import { osUser } from '../os-user.ts';
import { resolveRecord, resolveRecordToChange } from '../resolve-record.ts';
import { unrecordedEntry } from '../sync-catalog-entries.ts';
import { withOfficerWarehouse, withReadingWarehouse } from '../with-warehouse.ts';
import { instantOption } from './date-options.ts';

export interface GroundsOptions {
  basis: string;
  reason: string;
  operator?: string;
  catalog?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `procedure correct|withdraw|reattribute|supersede|log`: the legal procedures of Art. 17, the only way to change
 * the record outside a delivery. Each needs a legal basis (文号) and a reason, runs as the officer role (a login
 * that is only an officer may run it), and is logged (who, when, before, after) in the append-only, hash-chained
 * procedure log, which `log` reads as any role.
 */
export function registerProcedureCommand(program: Command): void {
  const procedure = program
    .command('procedure')
    .description(
      'legal procedures (Art. 17): correct, withdraw, reattribute, supersede a record, each with basis and reason; the procedure log',
    );
  withGrounds(
    procedure
      .command('correct')
      .description(
        "a new version with corrected fields (a provider's confirmed correction outside a delivery)",
      )
      .argument(
        '<record>',
        "record id, whole business key, or decision number (not a subject's code: `subject <code>` lists its records)",
      )
      .requiredOption(
        '--set <字段=值>',
        'field (code or Chinese title) and its corrected value; repeatable',
        collect,
      ),
  ).action(async (typed: string, options: GroundsOptions & { set: string[] }) => {
    await perform(typed, options, async (warehouse, catalog, recordId, grounds) => {
      await requireRecordedEntry(warehouse, catalog, recordId);
      return correctRecord(warehouse, catalog, recordId, options.set, grounds);
    });
  });
  withGrounds(
    procedure
      .command('withdraw')
      .description('撤销: the record stops being current and shown; every version is kept')
      .argument('<record>', 'record id, whole business key, or decision number'),
  ).action(async (typed: string, options: GroundsOptions) => {
    await perform(typed, options, (warehouse, _catalog, recordId, grounds) =>
      withdrawRecord(warehouse, recordId, grounds),
    );
  });
  withGrounds(
    procedure
      .command('reattribute')
      .description(
        'the record was filed against the wrong subject: a new record for the right one supersedes it',
      )
      .argument('<record>', 'record id, whole business key, or decision number')
      .requiredOption('--subject <code>', 'the right subject code (USCC, resident ID number, …)')
      .option(
        '--set <字段=值>',
        'other fields to correct with it (e.g. the subject name); repeatable',
        collect,
      ),
  ).action(async (typed: string, options: GroundsOptions & { subject: string; set?: string[] }) => {
    await perform(typed, options, async (warehouse, catalog, recordId, grounds) => {
      await requireRecordedEntry(warehouse, catalog, recordId);
      return reattributeRecord(warehouse, catalog, recordId, options.subject, options.set ?? [], grounds);
    });
  });
  withGrounds(
    procedure
      .command('supersede')
      .description('a record whose key or subject was wrong is superseded by the right record')
      .argument('<old-record>', 'the wrong record: id, whole business key, or decision number')
      .requiredOption('--by <new-record>', 'the right record: id, whole business key, or decision number'),
  ).action(async (typed: string, options: GroundsOptions & { by: string }) => {
    await perform(typed, options, async (warehouse, catalog, recordId, grounds) => {
      const by = await resolveRecordToChange(warehouse, catalog, options.by, options.catalog);
      if (!by) throw new ProcedureRefused(`--by ${maskPersonalText(options.by)}: no single record`);
      return supersedeRecord(warehouse, recordId, by.id, grounds);
    });
  });
  procedure
    .command('log')
    .alias('list')
    .description('the procedure log, oldest first: who, when, basis, reason, before and after')
    .option('--record <record>', 'procedures on this record (id, whole key or decision number)')
    .option('--catalog <code>', 'procedures on records of this catalog entry')
    .option(
      '--since <date>',
      'performed at or after this date or time (Asia/Shanghai unless a zone is given)',
    )
    .option('--json', 'print JSON (hashes included)')
    .action(async (options: { record?: string; catalog?: string; since?: string; json?: boolean }) => {
      const since = options.since === undefined ? undefined : instantOption('--since', options.since);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        let recordId: number | undefined;
        if (options.record !== undefined) {
          const found = await resolveRecord(warehouse, catalog, options.record, options.catalog);
          if (!found) return EXIT.usage;
          recordId = found.id;
        }
        const logged = await procedureEntries(warehouse, {
          ...(recordId === undefined ? {} : { recordId }),
          ...(options.catalog ? { catalogCode: options.catalog } : {}),
          ...(since ? { since } : {}),
        });
        const entries = await maskedProcedureEntries(warehouse, catalog, logged);
        if (options.json) {
          console.log(maskPersonalText(JSON.stringify(entries)));
          return EXIT.ok;
        }
        if (entries.length === 0) console.log('no legal procedures match');
        for (const entry of entries)
          console.log(maskPersonalText(`${procedureLine(entry)}\n    ${procedureSummary(entry)}`));
        return EXIT.ok;
      });
    });
}

/** The options every legal procedure takes: basis, reason, operator, and how to choose the record. */
export function withGrounds(command: Command): Command {
  return command
    .requiredOption('--basis <文号>', 'the legal basis: the document number of the decision (文号)')
    .requiredOption('--reason <text>', 'why the procedure is taken')
    .option('--operator <name>', 'who runs it (default: the OS user)')
    .option('--catalog <code>', 'only records of this catalog entry (to choose the record)')
    .option('--json', 'print the procedure log entry as JSON');
}

export type Work = (
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  grounds: Grounds,
) => Promise<ProcedureDone>;

/**
 * Finds the record, runs the procedure as the officer, prints its log entry; a refusal is exit 2 with its reason,
 * nothing done, and so is a login that is not an officer (withOfficerWarehouse).
 */
export async function perform(typed: string, options: GroundsOptions, work: Work): Promise<void> {
  const { config, logger } = commandContext();
  const catalog = await loadCatalog(config.catalogDir);
  const grounds: Grounds = {
    basis: options.basis,
    reason: options.reason,
    operator: options.operator ?? osUser(),
  };
  process.exitCode = await withOfficerWarehouse(config, logger, async (warehouse) => {
    const record = await resolveRecordToChange(warehouse, catalog, typed, options.catalog);
    if (!record) return EXIT.usage;
    let done: ProcedureDone;
    try {
      done = await work(warehouse, catalog, record.id, grounds);
    } catch (error) {
      if (!(error instanceof ProcedureRefused)) throw error;
      console.error(maskPersonalText(`credit-etl: procedure refused, nothing changed: ${error.message}`));
      return EXIT.usage;
    }
    const [entry] = await procedureEntries(warehouse, { recordId: record.id }).then((entries) =>
      maskedProcedureEntries(
        warehouse,
        catalog,
        entries.filter((candidate) => candidate.id === done.procedureId),
      ),
    );
    if (!entry) throw new Error(`procedure #${done.procedureId} is not in the procedure log`);
    logger.info(
      `legal procedure #${entry.id} ${entry.kind} on record ${entry.recordId} by ${entry.operator}`,
    );
    // Art. 18 ¶2: the record retired is under objection; its successor carries the mark (stderr, as objection open's).
    for (const warning of done.objectionWarnings ?? []) console.error(maskPersonalText(`⚠ ${warning}`));
    if (options.json) {
      console.log(
        maskPersonalText(
          JSON.stringify({
            ...entry,
            warnings: done.warnings,
            ...(done.objectionWarnings ? { objectionWarnings: done.objectionWarnings } : {}),
          }),
        ),
      );
      return EXIT.ok;
    }
    console.log(maskPersonalText(`${procedureLine(entry)}\n    ${procedureSummary(entry)}`));
    for (const warning of done.warnings)
      console.log(maskPersonalText(`  ⚠ ${warning.field}: ${warning.message}`));
    return EXIT.ok;
  });
}

/** A procedure that validates or decides by the record's catalog entry needs it recorded (unrecordedEntry). */
export async function requireRecordedEntry(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
): Promise<void> {
  const unrecorded = await unrecordedEntry(warehouse, catalog, recordId);
  if (unrecorded) throw new ProcedureRefused(unrecorded);
}
