import path from 'node:path';
import type { TransportFactory } from '../contracts.ts';
import { DELIVERY_GLOB, FileDropTransport } from './file-drop/file-drop-transport.ts';
import { LocalDropPort } from './file-drop/local-drop-port.ts';
import { DEFAULT_MAX_FILE_BYTES, MAX_FILE_BYTES_SCHEMA } from './file-size-limit.ts';

/** The `transport` section of a pipeline that watches a local drop folder. */
export interface DropFolderConfig {
  /** The directory providers deliver into (not searched recursively). */
  directory: string;
  /** Which file names are deliveries (picomatch, case-insensitive). */
  glob?: string;
  /**
   * Done-markers: `<name><suffix>` (e.g. `处罚.csv.ok`) says `<name>` is complete. An empty list means no
   * markers: a file is complete when its size and mtime did not change between two listings.
   */
  markerSuffixes?: string[];
  /** Milliseconds between the two listings of the stable-size check. */
  stableSizeMs?: number;
  /** Where loaded files go (relative to `directory`), or null to leave them in place. */
  processedDir?: string | null;
  /** Where files that failed as a whole go (relative to `directory`), or null to leave them in place. */
  failedDir?: string | null;
  /**
   * The largest file read, in bytes: checked on the listed size, then on the bytes as they are read (a file still
   * growing). A file over it fails alone as `file-too-large` (moved to `failed/`). Default `DEFAULT_MAX_FILE_BYTES`.
   */
  maxFileBytes?: number;
}

const DEFAULTS = {
  glob: DELIVERY_GLOB,
  markerSuffixes: ['.ok', '.done'],
  stableSizeMs: 2000,
  processedDir: 'processed',
  failedDir: 'failed',
} as const;

export const dropFolderTransport: TransportFactory<DropFolderConfig> = {
  type: 'drop-folder',
  configSchema: {
    type: 'object',
    required: ['type', 'directory'],
    additionalProperties: false,
    properties: {
      type: { const: 'drop-folder' },
      directory: {
        type: 'string',
        minLength: 1,
        description: 'the directory providers deliver into; `{date}` in it stands for the partition day',
      },
      glob: { type: 'string', minLength: 1, default: DEFAULTS.glob },
      markerSuffixes: {
        type: 'array',
        items: { type: 'string', pattern: '^\\.[^/\\\\]+$' },
        default: DEFAULTS.markerSuffixes,
        description: 'done-marker suffixes; [] = complete when the size is stable between two listings',
      },
      stableSizeMs: { type: 'integer', minimum: 0, default: DEFAULTS.stableSizeMs },
      processedDir: { type: ['string', 'null'], default: DEFAULTS.processedDir },
      failedDir: { type: ['string', 'null'], default: DEFAULTS.failedDir },
      maxFileBytes: { ...MAX_FILE_BYTES_SCHEMA, default: DEFAULT_MAX_FILE_BYTES },
    },
  },
  create: (config, context) =>
    new FileDropTransport(
      'drop-folder',
      new LocalDropPort(config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES),
      {
        directory: path.resolve(config.directory),
        glob: config.glob ?? DEFAULTS.glob,
        markerSuffixes: config.markerSuffixes ?? DEFAULTS.markerSuffixes,
        stableMs: config.stableSizeMs ?? DEFAULTS.stableSizeMs,
        processedDir: config.processedDir === undefined ? DEFAULTS.processedDir : config.processedDir,
        failedDir: config.failedDir === undefined ? DEFAULTS.failedDir : config.failedDir,
      },
      context,
    ),
};
