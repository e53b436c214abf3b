import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import cron from 'node-cron';
import type { TransportFactory } from '../../connectors/contracts.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { headerKey, headerNames } from '../catalog/match-headers.ts';
import { editDistance } from '../report/provider-check.ts';
import { DEFAULT_THRESHOLDS } from '../run/reject-threshold.ts';
import { DEFAULT_FULL_DUMP, type FullDumpRule } from '../warehouse/full-dump-decision.ts';
import {
  DEFAULT_PARTITION,
  DEFAULT_RETRY,
  LEGACY_FORMAT_WARNING,
  PIPELINE_SCHEMA,
  type PipelineDefinition,
} from './pipeline-definition.ts';
import { pipelineNamesShown } from './pipeline-names-shown.ts';
import { sharedWatermarkProblems } from './watermark-keys.ts';

/** One thing wrong (or, as a warning, out of date) in a pipeline file: the file, the field's JSON path, what to do. */
export interface PipelineProblem {
  file: string;
  path: string;
  message: string;
}

/** A pipeline file that cannot be used; the message lists every problem with its file and field. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(readonly problems: PipelineProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export const formatProblem = (problem: PipelineProblem): string =>
  `${problem.file}: ${problem.path || '(file)'}: ${problem.message}`;

export type TransportRegistry = Readonly<Record<string, TransportFactory<never>>>;

export interface LoadedPipelines {
  pipelines: PipelineDefinition[];
  problems: PipelineProblem[];
  /** Out-of-date fields of pipelines that loaded all the same (a `"format": "csv"` line). */
  warnings: PipelineProblem[];
}

/** A pipeline that loaded, with what its file should change although it loads. */
export interface LoadedPipeline {
  pipeline: PipelineDefinition;
  warnings: PipelineProblem[];
}

const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: false });
const validatePipeline = ajv.compile(PIPELINE_SCHEMA);

/** Every `*.json` in `directory`, each validated; a bad file is reported and does not stop the others. */
export async function loadPipelines(
  directory: string,
  transports: TransportRegistry,
): Promise<LoadedPipelines> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    const problem = {
      file: directory,
      path: '',
      message: `cannot read the pipelines directory: ${(error as Error).message}`,
    };
    return { pipelines: [], problems: [problem], warnings: [] };
  }
  const pipelines: PipelineDefinition[] = [];
  const problems: PipelineProblem[] = [];
  const warnings: PipelineProblem[] = [];
  for (const name of names) {
    const result = await readPipeline(path.join(directory, name), transports);
    if ('problems' in result) problems.push(...result.problems);
    else {
      pipelines.push(result.pipeline);
      warnings.push(...result.warnings);
    }
  }
  // Pipelines sharing a watermark would skip each other's rows: none of them runs until each has its own.
  const shared = sharedWatermarkProblems(pipelines);
  const refused = new Set(shared.map((problem) => problem.file));
  return {
    pipelines: pipelines.filter((pipeline) => !refused.has(pipeline.file)),
    problems: [...problems, ...shared],
    warnings,
  };
}

/**
 * One pipeline by name; throws PipelineError naming the file and fields, or saying which names exist. Those are
 * named as the listings name them (pipelineNamesShown: masked, alike ones numbered `~1`, `~2`), so that one can be
 * typed back; `listed` gives the names a listing shows (the CLI's also drop a pipeline its provider registry or
 * catalog refuses), by default those of the files that load. The name asked for is masked too.
 */
export async function loadPipeline(
  directory: string,
  name: string,
  transports: TransportRegistry,
  listed: () => Promise<readonly string[]> = async () =>
    (await loadPipelines(directory, transports)).pipelines.map((pipeline) => pipeline.name),
): Promise<LoadedPipeline> {
  const file = path.join(directory, `${name}.json`);
  const result = await readPipeline(file, transports);
  if ('pipeline' in result) return result;
  const missing = result.problems[0]?.message.startsWith('cannot read');
  if (missing) {
    const names = await listed();
    const shown = pipelineNamesShown(names);
    const known = names.map(shown).join(', ') || '(none)';
    throw new PipelineError([
      {
        file,
        path: '',
        message: `no pipeline "${shown(name)}" in ${directory}; pipelines: ${known} (credit-etl pipelines list)`,
      },
    ]);
  }
  throw new PipelineError(result.problems);
}

export async function readPipeline(
  file: string,
  transports: TransportRegistry,
): Promise<LoadedPipeline | { problems: PipelineProblem[] }> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ? 'cannot read' : 'is not valid JSON';
    return { problems: [{ file, path: '', message: `${reason}: ${(error as Error).message}` }] };
  }
  const problems: PipelineProblem[] = [];
  if (!validatePipeline(data)) {
    const errors = [...(validatePipeline.errors ?? [])];
    problems.push(...errors.map((error) => ({ file, path: errorPath(error), message: errorText(error) })));
  }
  const raw = data as Omit<
    PipelineDefinition,
    'name' | 'file' | 'thresholds' | 'retry' | 'partition' | 'fullDump'
  > & {
    fullDump?: boolean | Partial<FullDumpRule>;
    thresholds: Partial<PipelineDefinition['thresholds']>;
    retry: Partial<PipelineDefinition['retry']>;
    partition: Partial<PipelineDefinition['partition']>;
  };
  const cronExpression = raw?.schedule?.cron;
  if (typeof cronExpression === 'string' && !cron.validate(cronExpression)) {
    problems.push({
      file,
      path: '/schedule/cron',
      message: `"${cronExpression}" is not a cron expression (e.g. "0 30 1 * * *" = 01:30:00 every day, Asia/Shanghai)`,
    });
  }
  // The transport section is checked even when other fields are wrong: one pass shows every problem.
  if (typeof raw?.transport?.type === 'string')
    problems.push(...transportProblems(file, raw.transport, transports));
  if (raw?.withdrawals?.table && raw.transport?.type !== 'table') {
    problems.push({
      file,
      path: '/withdrawals/table',
      message: `a withdrawal table is read by the pipeline's own table transport; this pipeline's transport is "${raw.transport?.type}": use withdrawals.file for a file of withdrawn decisions`,
    });
  }
  if (problems.length > 0) return { problems: problems.sort((x, y) => x.path.localeCompare(y.path)) };
  const {
    $schema: _schema,
    format,
    fullDump,
    ...definition
  } = raw as typeof raw & { $schema?: string; format?: string };
  return {
    warnings: format === undefined ? [] : [{ file, path: '/format', message: LEGACY_FORMAT_WARNING }],
    pipeline: {
      ...definition,
      name: path.basename(file, '.json'),
      file,
      thresholds: { ...DEFAULT_THRESHOLDS, ...raw.thresholds },
      retry: { ...DEFAULT_RETRY, ...raw.retry },
      partition: { ...DEFAULT_PARTITION, ...raw.partition },
      ...(fullDump === undefined || fullDump === false
        ? {}
        : { fullDump: { ...DEFAULT_FULL_DUMP, ...(fullDump === true ? {} : fullDump) } }),
    },
  };
}

/**
 * What of a loaded pipeline the catalog refuses, found before any run: its `catalog` must name an entry (by code or
 * Chinese title, in any version) and its `catalogVersion`, if given, a version of that entry. Otherwise every run
 * would fail as a whole (`catalog`) however often it is tried: a configuration error, refused here (exit 2). So is
 * a `fieldMapping` target no column may carry (fieldMappingProblems): every file would fail as `unknown-columns`.
 */
export function catalogProblems(pipeline: PipelineDefinition, catalog: Catalog): PipelineProblem[] {
  const versions = catalog.entries.filter(
    (entry) => entry.code === pipeline.catalog || entry.title === pipeline.catalog,
  );
  if (versions.length === 0) {
    const known = [...new Set(catalog.entries.map((entry) => `${entry.code} (${entry.title})`))].join(', ');
    return [
      {
        file: pipeline.file,
        path: '/catalog',
        message: `catalog entry "${pipeline.catalog}" not found (known: ${known || 'none'}): run \`credit-etl catalog list\``,
      },
    ];
  }
  const version = pipeline.catalogVersion;
  // As a run reads a file: the version named, else the one in force or any other of the entry's code.
  const codes = new Set(versions.map((entry) => entry.code));
  const readBy = catalog.entries.filter(
    (entry) => codes.has(entry.code) && (version === undefined || entry.version === version),
  );
  if (readBy.length > 0) return fieldMappingProblems(pipeline, readBy);
  const known = versions.map((entry) => `v${entry.version}`).sort();
  return [
    {
      file: pipeline.file,
      path: '/catalogVersion',
      message: `catalog entry ${versions[0]?.code} has no version ${version} (known: ${known.join(', ')})`,
    },
  ];
}

/**
 * Each `fieldMapping` target must be a name a column may carry as a run matches the header (unit-header.ts
 * mappedHeader, then matchHeaders): a field's code, title or alias in a version the pipeline reads files by (its
 * `catalogVersion`, else any version of the entry; a legacy layout's source fields included), compared as headers
 * are (case, spaces, full-width forms and a leading 行政 ignored); or a column the pipeline reads or drops itself (a
 * `withdrawals` signal column, an `ignoreColumns` one). Anything else would make every file of the feed fail as
 * `unknown-columns`, moved to failed/ and charged to the provider for the platform's mistake.
 */
function fieldMappingProblems(
  pipeline: PipelineDefinition,
  entries: readonly CatalogEntry[],
): PipelineProblem[] {
  const fields = new Map<string, { title: string; keys: Set<string> }>();
  for (const entry of [...entries].sort((a, b) => b.version - a.version)) {
    const sourceFields = entry.legacyLayout?.sourceFields ?? {};
    for (const [code, keys] of headerNames(entry)) {
      const field = fields.get(code);
      if (field) for (const key of keys) field.keys.add(key);
      else {
        const title = entry.schema.properties[code]?.title ?? sourceFields[code]?.title ?? code;
        fields.set(code, { title, keys: new Set(keys) });
      }
    }
  }
  const own = [
    ...(pipeline.ignoreColumns ?? []),
    ...[pipeline.withdrawals?.softDelete, pipeline.withdrawals?.status].flatMap((signal) =>
      signal ? [signal.column] : [],
    ),
  ].map(headerKey);
  const carried = new Set([...[...fields.values()].flatMap((field) => [...field.keys]), ...own]);
  const entry = entries[0];
  const named = `catalog entry ${entry?.code} (${entry?.title})`;
  const where =
    pipeline.catalogVersion === undefined ? 'in any version' : `in version ${pipeline.catalogVersion}`;
  const label = (code: string) => `${code} (${fields.get(code)?.title ?? code})`;
  const problems: PipelineProblem[] = [];
  for (const [source, target] of Object.entries(pipeline.fieldMapping ?? {})) {
    if (carried.has(headerKey(target))) continue;
    const closest = closestField(headerKey(target), fields);
    const hint = closest
      ? `the closest is ${label(closest)}`
      : `its fields: ${[...fields.keys()].map(label).join(', ')}`;
    problems.push({
      file: pipeline.file,
      path: `/fieldMapping/${source.replaceAll('~', '~0').replaceAll('/', '~1')}`,
      message:
        `pipeline ${pipeline.name} maps source column "${source}" to "${target}", but ${named} has no field of ` +
        `that name ${where} (${hint}): map it to a field's code or title (credit-etl catalog show ${entry?.code}); ` +
        'as it is, every file of the feed would fail as unknown-columns, charged to the provider',
    });
  }
  return problems;
}

/** Edits that still count as a typo of a field's name: at most 2, and at most one in three of its characters. */
const FIELD_TYPO_DISTANCE = 2;

/** The field a mistyped mapping target most likely meant: a name a typo away, or one containing it (文号). */
function closestField(
  target: string,
  fields: ReadonlyMap<string, { keys: ReadonlySet<string> }>,
): string | undefined {
  let best: { code: string; distance: number } | undefined;
  for (const [code, { keys }] of fields) {
    for (const key of keys) {
      const distance = editDistance(target, key);
      const typo = distance <= FIELD_TYPO_DISTANCE && distance * 3 <= target.length;
      const part = target.length >= 2 && key.includes(target);
      if ((typo || part) && (!best || distance < best.distance)) best = { code, distance };
    }
  }
  return best?.code;
}

/** The transport section against its type's own schema; an unknown type says which types exist. */
function transportProblems(
  file: string,
  transport: { type: string } & Record<string, unknown>,
  transports: TransportRegistry,
): PipelineProblem[] {
  const factory = transports[transport.type];
  if (!factory) {
    const known = Object.keys(transports).join(', ') || '(none registered yet)';
    return [
      {
        file,
        path: '/transport/type',
        message: `transport type "${transport.type}" is not registered in connectors/registry.ts; registered: ${known}`,
      },
    ];
  }
  // The schema describes the whole section, `type` included (TransportFactory.configSchema).
  const validate = ajv.compile(factory.configSchema);
  if (validate(transport)) return [];
  return [...(validate.errors ?? [])].map((error) => ({
    file,
    path: `/transport${errorPath(error)}`,
    message: errorText(error),
  }));
}

function errorPath(error: ErrorObject): string {
  const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
  const extra = error.keyword === 'additionalProperties' ? `/${String(error.params.additionalProperty)}` : '';
  return `${error.instancePath}${missing}${extra}`;
}

function errorText(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field (a typo?)';
  if (error.instancePath === '/schedule/expectedBy')
    return 'must be a time of day HH:MM in Beijing time, e.g. "07:00" (when the day\'s data should be in)';
  // Quoted: a delimiter's allowed values are `,` and a tab.
  if (error.keyword === 'enum')
    return `${error.message}: ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
  return error.message ?? error.keyword;
}
