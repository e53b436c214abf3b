import { DELIMITERS, type Delimiter, ENCODINGS, type Encoding } from '../../connectors/contracts.ts';
import { CHANNEL_LEVELS, type ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Thresholds } from '../run/reject-threshold.ts';
import type { WithdrawalSignals } from '../run/withdrawal-signals.ts';
import type { FullDumpRule } from '../warehouse/full-dump-decision.ts';

/** One feed, as declared in `pipelines/<name>.json`. The name is the file name without `.json`. */
export interface PipelineDefinition {
  name: string;
  /** The file it was read from, for messages. */
  file: string;
  description?: string;
  /** Catalog entry code or Chinese title, e.g. `xzcf`. */
  catalog: string;
  /** The providing department's code (its unified social credit code). */
  provider: string;
  level: ChannelLevel;
  /**
   * How the files are read; the format itself follows each file's extension (.csv .txt .tsv: CSV, .xlsx: Excel).
   * `auto` (the default) lets a BOM, else the first 64 KiB, decide between UTF-8 and GB18030; CSV only.
   */
  encoding: Encoding;
  /** CSV: the field separator; `auto` (the default) takes the one the header line uses most. */
  delimiter?: Delimiter;
  /** Excel: the sheet, by name or 1-based index among visible sheets; default the first visible one with data. */
  sheet?: string | number;
  /** Both formats: the header's row number (title rows above it are skipped); default row 1 for CSV, found for Excel. */
  headerRow?: number;
  /** Where units come from: `type` names a transport in connectors/registry.ts, the rest is its config. */
  transport: { type: string } & Record<string, unknown>;
  /** Source header → catalog field code or title, for providers whose headers differ from the catalog. */
  fieldMapping: Record<string, string>;
  /**
   * The catalog version every file is read by, e.g. `0` for a feed that only ever sends the 2016 双公示 layout;
   * none (the default): the version in force, or the version whose layout the header is in.
   */
  catalogVersion?: number;
  /**
   * Source columns read by no field and never an unknown column: an integrator's bookkeeping in a 前置库 table
   * (`id`, `tenant_id`, `create_time`, `create_by`, `update_time`, `update_by`, `version`, `del_flag`…).
   * Compared as headers are (case, spaces and full-width forms ignored).
   */
  ignoreColumns?: string[];
  /** Tables for a legacy layout's `lookup` derivations: `authorityCodes` maps 处罚机关/许可机关 names to their USCC. */
  lookups?: Record<string, Record<string, string>>;
  schedule: PipelineSchedule;
  thresholds: Thresholds;
  retry: RetryPolicy;
  /** Which day a scheduled or manual run is for (its partition, `{date}` in a transport path). */
  partition: PartitionRule;
  /** Accept pilot-era USCCs that fail only the 18th-character check. */
  allowPilotCodes: boolean;
  /**
   * How the source says a record was withdrawn (a soft-delete flag, a 当前状态 value, a list of withdrawn
   * decisions as a file or a 前置库 table): such rows are withdrawal requests applied as legal procedures, never
   * loaded as data (docs/pipelines-and-channels.md).
   */
  withdrawals?: WithdrawalSignals;
  /** Each unit is a complete dump of the provider's records for the entry: completeness is checked. */
  fullDump?: FullDumpRule;
  /**
   * Queued runs (`worker`) go to this queue instead of `pipelines`; `concurrency` caps how many of its jobs run
   * at once across every worker on every machine (e.g. 2 for a provider's SFTP server). Pipelines naming the
   * same queue share the cap (the smallest one given counts).
   */
  queue?: PipelineQueue;
}

export interface PipelineQueue {
  /** Letters, digits, `_` and `-`, e.g. `sftp-jinan`. */
  name: string;
  /** Jobs of this queue running at once, cluster-wide; none: no cap beyond each worker's `--concurrency`. */
  concurrency?: number;
}

export interface PipelineSchedule {
  /** node-cron expression (optional seconds field), in Asia/Shanghai time; none = run only by hand. */
  cron?: string;
  enabled: boolean;
  /**
   * `HH:MM`, Beijing time: the partition day's data should have arrived by then (e.g. `07:00` for a nightly
   * push). `schedule` checks at that time every day and alerts `nothing-delivered` when no run of the pipeline
   * for the day's partition read a row (docs/alerts-and-metrics.md). None: no such check.
   */
  expectedBy?: string;
}

/**
 * A run ended by an infrastructure fault (database, network, remote server) is tried again after a growing
 * pause; nothing else is (connectors/infrastructure-fault.ts).
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Pause before the second try, jittered to between half and all of it; each later pause doubles (≤ 15 min). */
  backoffSeconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffSeconds: 30 };

/** A run's partition day, counted in days from the day it was triggered in Asia/Shanghai. */
export interface PartitionRule {
  /** -1 (the default): the day before, as a nightly run collects the previous day's data; 0: the same day. */
  offsetDays: number;
}

export const DEFAULT_PARTITION: PartitionRule = { offsetDays: -1 };

/** A source column and the values of it that say "withdrawn" (compared trimmed, case-insensitively). */
const SIGNAL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['column', 'values'],
  properties: {
    column: { type: 'string', minLength: 1 },
    values: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  },
} as const;

/** JSON Schema (draft 2020-12) of a pipeline file; the transport section is checked by its own schema. */
export const PIPELINE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['catalog', 'provider', 'level', 'transport'],
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    catalog: { type: 'string', minLength: 1 },
    provider: { type: 'string', minLength: 1 },
    level: { enum: [...CHANNEL_LEVELS] },
    /** Read by nothing (the extension decides); still accepted as `"csv"`, with a warning (LEGACY_FORMAT_WARNING). */
    format: { enum: ['csv'] },
    encoding: { enum: [...ENCODINGS], default: 'auto' },
    delimiter: { enum: [...DELIMITERS] },
    sheet: { type: ['string', 'integer'], minLength: 1, minimum: 1 },
    headerRow: { type: 'integer', minimum: 1 },
    transport: {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string', minLength: 1 } },
    },
    fieldMapping: {
      type: 'object',
      additionalProperties: { type: 'string', minLength: 1 },
      default: {},
    },
    catalogVersion: { type: 'integer', minimum: 0 },
    ignoreColumns: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
      default: [],
    },
    lookups: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: { type: 'string', minLength: 1 },
      },
      default: {},
    },
    schedule: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cron: { type: 'string', minLength: 1 },
        enabled: { type: 'boolean', default: true },
        expectedBy: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
      },
      default: {},
    },
    thresholds: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxRejectRate: { type: 'number', minimum: 0, maximum: 1 },
        maxRejected: { type: ['integer', 'null'], minimum: 0 },
      },
      default: {},
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: { type: 'integer', minimum: 1, maximum: 20 },
        backoffSeconds: { type: 'number', minimum: 0 },
      },
      default: {},
    },
    partition: {
      type: 'object',
      additionalProperties: false,
      properties: { offsetDays: { type: 'integer', minimum: -366, maximum: 0 } },
      default: {},
    },
    allowPilotCodes: { type: 'boolean', default: false },
    withdrawals: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        softDelete: SIGNAL_SCHEMA,
        status: {
          ...SIGNAL_SCHEMA,
          properties: { ...SIGNAL_SCHEMA.properties, objection: SIGNAL_SCHEMA.properties.values },
        },
        file: {
          type: 'object',
          additionalProperties: false,
          required: ['pattern'],
          properties: { pattern: { type: 'string', minLength: 1 } },
        },
        table: {
          type: 'object',
          additionalProperties: false,
          required: ['table'],
          properties: {
            table: { type: 'string', minLength: 1, maxLength: 130 },
            columns: {
              type: 'object',
              minProperties: 1,
              additionalProperties: { type: 'string', minLength: 1 },
            },
            cursor: {
              type: 'object',
              additionalProperties: false,
              required: ['column'],
              properties: { column: { type: 'string' }, tieBreaker: { type: 'string' } },
            },
            watermark: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    queue: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,60}$', not: { enum: ['dead-letter'] } },
        concurrency: { type: 'integer', minimum: 1, maximum: 100 },
      },
    },
    fullDump: {
      oneOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: { maxMissingShare: { type: 'number', minimum: 0, maximum: 1 } },
        },
      ],
    },
  },
} as const;

/** What a pipeline file that still says `"format": "csv"` is told; the field is ignored. */
export const LEGACY_FORMAT_WARNING =
  'is no longer read and is ignored: each file is read by its extension (.csv .txt .tsv as CSV, .xlsx as Excel); ' +
  'delete this line. How files are read is set by "encoding", "delimiter", "sheet" and "headerRow"';
