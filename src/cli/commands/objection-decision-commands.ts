import { type Command, Option } from 'commander';
import type { Catalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import {
  closeObjection,
  type Decision,
  ObjectionRefused,
  type Remedy,
  recordOutcome,
} from '../../objections/objection-workflow.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import {
  APPEAL_STAGES,
  type AppealStage,
  OBJECTION_RESULTS,
  type ObjectionResult,
} from '../../warehouse/objection-vocabulary.ts';
import { objectionRows } from '../../warehouse/objections-repository.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { decisionLines } from '../format-objection.ts';
import { osUser } from '../os-user.ts';
import { resolveRecordToChange } from '../resolve-record.ts';
import { unrecordedEntry } from '../sync-catalog-entries.ts';
import { objectionId, officerCommand, printObjection } from './objection-subcommand.ts';

/**
 * `objection close` (the platform's check) and `objection outcome` (an appeal, review or lawsuit): a stage
 * decided, and the legal procedure or corrected delivery that carries out an upheld result.
 */

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `objection close`: the platform's check decided; the mark is lifted. */
export function registerObjectionClose(objection: Command): void {
  withDecision(
    objection
      .command('close')
      .description(
        "the platform's check decided: upheld or partly is carried out by a legal procedure; the mark is lifted",
      )
      .argument('<id>', 'objection id'),
  ).action(async (typed: string, options: DecisionOptions) => {
    const id = objectionId(typed);
    const decision = decisionOf(options);
    await officerCommand(async (warehouse, catalog) => {
      const remedy = await remedyOf(warehouse, catalog, options);
      if (remedy === null) return EXIT.usage;
      await entryRecordedFor(warehouse, catalog, id, remedy);
      const done = await closeObjection(warehouse, catalog, id, {
        ...decision,
        ...(remedy ? { remedy } : {}),
      });
      for (const warning of done.warnings) console.error(maskPersonalText(`⚠ ${warning}`));
      await printObjection(warehouse, catalog, options.json, done, decisionLines(done));
      return EXIT.ok;
    });
  });
}

/** `objection outcome`: the result of an appeal, administrative review or lawsuit. */
export function registerObjectionOutcome(objection: Command): void {
  withDecision(
    objection
      .command('outcome')
      .description(
        'the result of an appeal, administrative review or lawsuit: upheld or partly via a legal procedure',
      )
      .argument('<id>', 'objection id')
      .addOption(
        new Option('--stage <stage>', 'the stage decided: appeal, review or lawsuit')
          .choices(APPEAL_STAGES)
          .makeOptionMandatory(),
      ),
  ).action(async (typed: string, options: DecisionOptions & { stage: AppealStage }) => {
    const id = objectionId(typed);
    const decision = decisionOf(options);
    await officerCommand(async (warehouse, catalog) => {
      const remedy = await remedyOf(warehouse, catalog, options);
      if (remedy === null) return EXIT.usage;
      await entryRecordedFor(warehouse, catalog, id, remedy);
      const done = await recordOutcome(warehouse, catalog, id, options.stage, {
        ...decision,
        ...(remedy ? { remedy } : {}),
      });
      await printObjection(warehouse, catalog, options.json, done, decisionLines(done));
      return EXIT.ok;
    });
  });
}

interface DecisionOptions {
  result: ObjectionResult;
  note: string;
  basis: string;
  operator?: string;
  withdraw?: boolean;
  set?: string[];
  supersededBy?: string;
  procedure?: string;
  version?: string;
  catalog?: string;
  json?: boolean;
}

/** The options of a decision (close, outcome) and of the procedure that carries out an upheld one. */
function withDecision(command: Command): Command {
  return command
    .addOption(
      new Option('--result <result>', 'upheld (异议成立), rejected (不成立) or partly (部分成立)')
        .choices(OBJECTION_RESULTS)
        .makeOptionMandatory(),
    )
    .requiredOption('--note <text>', 'the result as told to the subject')
    .requiredOption('--basis <文号>', 'the legal basis: the document number of the decision')
    .option('--withdraw', 'upheld/partly: withdraw the record (procedure withdraw)')
    .option('--set <字段=值>', 'upheld/partly: correct a field (procedure correct); repeatable', collect)
    .option(
      '--superseded-by <record>',
      'upheld/partly: the right record supersedes this one (procedure supersede)',
    )
    .option('--procedure <id>', 'upheld/partly: a legal procedure already run on the record (its log id)')
    .option(
      '--version <n>',
      "upheld/partly: the provider's corrected re-delivery, as the record's version it made (v<n> in `record`)",
    )
    .option('--operator <name>', 'who decides (default: the OS user)')
    .option('--catalog <code>', 'only records of this catalog entry (to choose --superseded-by)')
    .option('--json', 'print JSON');
}

function decisionOf(options: DecisionOptions): Omit<Decision, 'remedy'> {
  return {
    result: options.result,
    note: options.note,
    basis: options.basis,
    operator: options.operator ?? osUser(),
  };
}

/** The one procedure asked for (undefined: none; null: --superseded-by names no single record, said on stderr). */
async function remedyOf(
  warehouse: Warehouse,
  catalog: Catalog,
  options: DecisionOptions,
): Promise<Remedy | undefined | null> {
  const given = [
    options.withdraw && '--withdraw',
    options.set?.length && '--set',
    options.supersededBy !== undefined && '--superseded-by',
    options.procedure !== undefined && '--procedure',
    options.version !== undefined && '--version',
  ].filter(Boolean);
  if (given.length > 1)
    throw new UsageError(`give one way to carry out the result, not ${given.join(' and ')}`);
  if (options.withdraw) return { kind: 'withdraw' };
  if (options.set?.length) return { kind: 'correct', settings: options.set };
  if (options.procedure !== undefined) {
    const procedureId = Number(options.procedure);
    if (!Number.isSafeInteger(procedureId) || procedureId <= 0)
      throw new UsageError(`--procedure ${options.procedure} is not a procedure log id`);
    return { kind: 'procedure', procedureId };
  }
  if (options.version !== undefined) {
    const versionNo = Number(options.version.replace(/^v/i, ''));
    if (!/^v?\d+$/i.test(options.version) || !Number.isSafeInteger(versionNo) || versionNo <= 0)
      throw new UsageError(
        `--version ${maskPersonalText(options.version)} is not a version number (v2 or 2, as \`record\` shows it)`,
      );
    return { kind: 'version', versionNo };
  }
  if (options.supersededBy !== undefined) {
    const by = await resolveRecordToChange(warehouse, catalog, options.supersededBy, options.catalog);
    return by ? { kind: 'supersede', byRecordId: by.id } : null;
  }
  return undefined;
}

/** A decision carried out by `--set` (correct) needs the record's catalog entry recorded (unrecordedEntry). */
async function entryRecordedFor(
  warehouse: Warehouse,
  catalog: Catalog,
  objectionId: number,
  remedy: Remedy | undefined,
): Promise<void> {
  if (remedy?.kind !== 'correct') return;
  const [objection] = await objectionRows(warehouse, { id: objectionId });
  const unrecorded = objection && (await unrecordedEntry(warehouse, catalog, objection.recordId));
  if (unrecorded) throw new ObjectionRefused(unrecorded);
}
