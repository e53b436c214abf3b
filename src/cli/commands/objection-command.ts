import { type Command, Option } from 'commander';
import { shanghaiTime, todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText, maskTypedLookup } from '../../log/mask-personal-data.ts';
import { ACTION_TITLES, RESULT_TITLES, STAGE_TITLES } from '../../objections/objection-titles.ts';
import {
  appealObjection,
  closeObjection,
  type Decision,
  type DecisionDone,
  ObjectionRefused,
  openObjection,
  type Remedy,
  recordOutcome,
} from '../../objections/objection-workflow.ts';
import {
  checkOverdueObjections,
  overdueLine,
  provisionalWarning,
} from '../../objections/overdue-objections.ts';
import { verificationStates } from '../../objections/verification.ts';
import {
  type VerificationState,
  verificationCell,
  verificationLine,
} from '../../objections/verification-status.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import {
  APPEAL_STAGES,
  type AppealStage,
  OBJECTION_CHANNELS,
  OBJECTION_RESULTS,
  type ObjectionChannel,
  type ObjectionFilter,
  type ObjectionResult,
  type ObjectionRow,
  type ObjectionStep,
  objectionRows,
  objectionSteps,
} from '../../warehouse/objections-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { formatTable } from '../format-table.ts';
import { osUser } from '../os-user.ts';
import { resolveRecord } from '../resolve-record.ts';
import { unrecordedEntry } from '../sync-catalog-entries.ts';
import { withOfficerWarehouse, withReadingWarehouse, withWarehouse } from '../with-warehouse.ts';
import { dateOption } from './date-options.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--status` as typed: `checking` is the platform's check (stage `open`). */
const STATUSES = ['in-progress', 'closed', 'checking', ...APPEAL_STAGES] as const;

/**
 * `objection open|list|show|close|appeal|outcome|check`: objections (异议, Art. 18). Registering one marks the
 * record at once (异议处理中); the platform must answer within 3 working days of receipt; an upheld result is
 * carried out by a legal procedure; appeals, administrative review and lawsuits follow on the same objection.
 * Every step is in the append-only, hash-chained objection log. Writing steps act as the officer role (a login
 * that is only an officer may run them), listing and showing as any role; `check` records a run, as the engine.
 */
export function registerObjectionCommand(program: Command): void {
  const objection = program
    .command('objection')
    .description(
      'objections (异议, Art. 18): register (marks the record), list, show, close within 3 working days, appeal stages',
    );
  objection
    .command('open')
    .description('register an objection: the record is marked 异议处理中 at once, due in 3 working days')
    .argument('<record>', 'record id, whole business key, or decision number (as `record` accepts)')
    .requiredOption('--applicant <name>', 'who objects (the subject or its agent)')
    .requiredOption('--reason <text>', 'what the subject disputes')
    .option('--received-at <date>', 'the day the objection was received (YYYY-MM-DD; default today)')
    .addOption(
      new Option('--channel <channel>', 'where it was filed').choices(OBJECTION_CHANNELS).default('platform'),
    )
    .option('--basis <text>', 'the application form or letter number, if any')
    .option('--note <text>', 'anything else the officer records')
    .option('--operator <name>', 'who registers it (default: the OS user)')
    .option('--catalog <code>', 'only records of this catalog entry (to choose the record)')
    .option('--json', 'print JSON')
    .action(async (typed: string, options: OpenOptions) => {
      const receivedOn =
        options.receivedAt === undefined
          ? todayInShanghai()
          : dateOption('--received-at', options.receivedAt);
      await officerCommand(async (warehouse, catalog) => {
        const record = await resolveRecord(warehouse, catalog, typed, options.catalog);
        if (!record) return EXIT.usage;
        const opened = await openObjection(warehouse, {
          recordId: record.id,
          applicant: options.applicant,
          reason: options.reason,
          receivedOn,
          channel: options.channel,
          operator: options.operator ?? osUser(),
          ...(options.basis ? { basis: options.basis } : {}),
          ...(options.note ? { note: options.note } : {}),
        });
        for (const warning of opened.warnings) console.error(maskPersonalText(`⚠ ${warning}`));
        print(options.json, opened.objection, objectionLine(opened.objection));
        return EXIT.ok;
      });
    });
  objection
    .command('list')
    .description('objections with their stage and due date, oldest first')
    .option(
      '--overdue',
      'only objections whose check is still open after their due date (a provisional due date is not overdue)',
    )
    .option(
      '--as-of <date>',
      'list them as they stood at the end of this day, --overdue judged on it (YYYY-MM-DD; default today, Asia/Shanghai)',
    )
    .option('--provider <code>', 'only objections on records this provider delivered')
    .addOption(
      new Option(
        '--status <status>',
        'in-progress (marked), closed, or the stage in progress: checking (核查), appeal, review, lawsuit',
      ).choices(STATUSES),
    )
    .option('--record <record>', 'only objections on this record (id, whole key or decision number)')
    .option('--catalog <code>', 'only records of this catalog entry (to choose --record)')
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) => {
      const asOf = options.asOf === undefined ? todayInShanghai() : dateOption('--as-of', options.asOf);
      await readCommand(async (warehouse, catalog) => {
        const filter: ObjectionFilter = {
          ...(options.overdue ? { overdueOn: asOf } : {}),
          ...(options.asOf === undefined ? {} : { asOf }),
          ...(options.provider ? { providerCode: options.provider } : {}),
          ...(options.status ? { status: options.status === 'checking' ? 'open' : options.status } : {}),
        };
        if (options.record !== undefined) {
          const record = await resolveRecord(warehouse, catalog, options.record, options.catalog);
          if (!record) return EXIT.usage;
          filter.recordId = record.id;
        }
        const rows = await objectionRows(warehouse, filter);
        const verification = await verificationStates(
          warehouse,
          rows.map((row) => row.id),
          asOf,
        );
        if (options.json) {
          const listed = rows.map((row) => ({
            ...withOverdue(row, asOf),
            verification: verification.get(row.id),
          }));
          console.log(maskPersonalText(JSON.stringify(listed)));
          return EXIT.ok;
        }
        if (rows.length === 0) {
          console.log('no objections match');
          return EXIT.ok;
        }
        console.log(
          maskPersonalText(
            formatTable(
              [
                'objection',
                'record',
                'catalog',
                'channel',
                'provider',
                'received',
                'due',
                'stage',
                'state',
                'verification',
                'applicant',
              ],
              rows.map((row) => [
                row.id,
                row.recordId,
                row.catalogCode,
                row.channel,
                row.providerCode ?? '—',
                row.receivedOn,
                `${row.dueOn}${row.dueProvisional ? ' (provisional)' : ''}`,
                STAGE_TITLES[row.stage],
                stateText(row, asOf),
                verificationCell(verification.get(row.id)),
                row.applicant,
              ]),
            ),
          ),
        );
        return EXIT.ok;
      });
    });
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
      print(options.json, done, decisionLines(done));
      return EXIT.ok;
    });
  });
  objection
    .command('appeal')
    .description(
      'the subject appeals (申诉) the result, or seeks administrative review or sues: the record is marked again',
    )
    .argument('<id>', 'objection id')
    .requiredOption('--basis <text>', 'the appeal, application or case number')
    .requiredOption('--note <text>', 'what is appealed, and by whom')
    .addOption(
      new Option(
        '--stage <stage>',
        'appeal (申诉 to the development and reform department), review (行政复议) or lawsuit (行政诉讼)',
      )
        .choices(APPEAL_STAGES)
        .default('appeal'),
    )
    .option('--operator <name>', 'who records it (default: the OS user)')
    .option('--json', 'print JSON')
    .action(async (typed: string, options: AppealOptions) => {
      const id = objectionId(typed);
      await officerCommand(async (warehouse) => {
        const appealed = await appealObjection(warehouse, id, {
          stage: options.stage,
          basis: options.basis,
          note: options.note,
          operator: options.operator ?? osUser(),
        });
        print(options.json, appealed, objectionLine(appealed));
        return EXIT.ok;
      });
    });
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
      print(options.json, done, decisionLines(done));
      return EXIT.ok;
    });
  });
  objection
    .command('check')
    .description(
      'raise overdue objections like a failed run: records an objection-check run, exit 1 when any is overdue',
    )
    .option('--as-of <date>', 'the day judged on (YYYY-MM-DD; default today, Asia/Shanghai)')
    .option('--json', 'print JSON')
    .action(async (options: { asOf?: string; json?: boolean }) => {
      const asOf = options.asOf === undefined ? todayInShanghai() : dateOption('--as-of', options.asOf);
      const { config, logger } = commandContext();
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const check = await checkOverdueObjections(warehouse, asOf, logger);
        if (options.json) console.log(maskPersonalText(JSON.stringify(check)));
        else {
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

interface OpenOptions {
  applicant: string;
  reason: string;
  receivedAt?: string;
  channel: ObjectionChannel;
  basis?: string;
  note?: string;
  operator?: string;
  catalog?: string;
  json?: boolean;
}

interface ListOptions {
  overdue?: boolean;
  asOf?: string;
  provider?: string;
  status?: (typeof STATUSES)[number];
  record?: string;
  catalog?: string;
  json?: boolean;
}

interface AppealOptions {
  basis: string;
  note: string;
  stage: AppealStage;
  operator?: string;
  json?: boolean;
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
    const by = await resolveRecord(warehouse, catalog, options.supersededBy, options.catalog);
    return by ? { kind: 'supersede', byRecordId: by.id } : null;
  }
  return undefined;
}

function objectionId(typed: string): number {
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
async function officerCommand(work: Work): Promise<void> {
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

async function readCommand(work: Work): Promise<void> {
  const { config, logger } = commandContext();
  const catalog = await loadCatalog(config.catalogDir);
  process.exitCode = await withReadingWarehouse(config, logger, (warehouse) => work(warehouse, catalog));
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

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(maskPersonalText(json ? JSON.stringify(value) : text));
}

/** The platform's check still open after the due date: overdue, or only past a provisional date (not overdue). */
const pastDue = (row: ObjectionRow, asOf: string) =>
  row.inProgress && row.stage === 'open' && row.dueOn < asOf;
const overdueOn = (row: ObjectionRow, asOf: string) => pastDue(row, asOf) && !row.dueProvisional;

function withOverdue(
  row: ObjectionRow,
  asOf: string,
): ObjectionRow & { overdue: boolean; provisionalPastDue: boolean } {
  return {
    ...row,
    overdue: overdueOn(row, asOf),
    provisionalPastDue: pastDue(row, asOf) && row.dueProvisional,
  };
}

/** `异议处理中 · OVERDUE`, `异议处理中 · 暂定期限已过`, `办结：异议不成立`, `办结：异议成立（程序 #7）`. */
function stateText(row: ObjectionRow, asOf: string): string {
  if (row.inProgress)
    return `异议处理中${pastDue(row, asOf) ? (row.dueProvisional ? ' · 暂定期限已过' : ' · OVERDUE') : ''}`;
  const remedy = remedyText(row.lastProcedureId, row.lastVersionNo);
  return `办结${row.lastResult ? `：${RESULT_TITLES[row.lastResult]}${remedy ? `（${remedy}）` : ''}` : ''}`;
}

/** What carried a result out: `程序 #7`, `报送更正 v2`, or nothing. */
function remedyText(procedureId: number | null, versionNo: number | null): string {
  if (procedureId !== null) return `程序 #${procedureId}`;
  if (versionNo !== null) return `报送更正 v${versionNo}`;
  return '';
}

function objectionLine(row: ObjectionRow): string {
  return (
    `objection #${row.id} on record ${row.recordId} (${row.catalogCode}) · ${STAGE_TITLES[row.stage]} ` +
    `${row.inProgress ? '异议处理中 (record marked)' : '办结 (mark lifted)'} · received ${row.receivedOn}, ` +
    `due ${row.dueOn}${row.dueProvisional ? ' (provisional: a year without calendar data)' : ''}`
  );
}

function decisionLines(done: DecisionDone): string {
  const row = done.objection;
  const result = row.lastResult ? RESULT_TITLES[row.lastResult] : '—';
  const carried = done.procedure
    ? ` · carried out by legal procedure #${done.procedure.procedureId}`
    : done.version
      ? ` · carried out by the provider's corrected delivery v${done.version.versionNo} (报送更正)`
      : '';
  return `${objectionLine(row)}\n    result ${result}${carried}`;
}

/** The objection page: what was received, its state, and every step. */
function formatObjection(
  row: ObjectionRow,
  steps: ObjectionStep[],
  asOf: string,
  verification: VerificationState,
): string {
  return [
    objectionLine(row),
    `applicant ${row.applicant} · channel ${row.channel} · provider ${row.providerCode ?? '—'}`,
    `reason ${row.reason}`,
    `state ${stateText(row, asOf)}`,
    `provider's verification (核实) ${verificationLine(verification)}`,
    '',
    'trail (oldest first):',
    formatTable(
      ['step', 'at', 'action', 'stage', 'result', 'carried out by', 'basis', 'note', 'by'],
      steps.map((step) => [
        step.id,
        shanghaiTime(step.performedAt),
        ACTION_TITLES[step.action],
        STAGE_TITLES[step.stage],
        step.result ? RESULT_TITLES[step.result] : '',
        remedyText(step.procedureId, step.versionNo),
        step.basis ?? '',
        step.note ?? '',
        `${step.operator} (db ${step.dbUser})`,
      ]),
    ),
  ].join('\n');
}
