import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceUnit, Transport, TransportFactory } from '../../connectors/contracts.ts';
import { localFileUnit } from '../../connectors/transports/local-file.ts';

/** What a test transport did, for assertions. */
export interface TransportLog {
  settled: [name: string, outcome: 'loaded' | 'failed'][];
  polls: number;
}

/**
 * A small real transport for pipeline tests: CSV files in `<dir>/<YYYY-MM-DD>/`, the partition being the
 * folder. It leaves files where they are (settle only records), so re-runs exercise the sha256 ledger; a file's
 * received time is its mtime.
 * `gate`, when set, is awaited before polling: a test holds a run open to make another contend with it.
 */
export function partitionFolderTransport(
  log: TransportLog,
  gate?: () => Promise<void>,
): TransportFactory<{ dir: string }> {
  return {
    type: 'partition-folder',
    configSchema: {
      type: 'object',
      required: ['type', 'dir'],
      additionalProperties: false,
      properties: { type: { const: 'partition-folder' }, dir: { type: 'string' } },
    },
    create(config): Transport {
      return {
        type: 'partition-folder',
        async *poll(options) {
          log.polls++;
          await gate?.();
          const days = options.partition
            ? [options.partition]
            : readdirSync(config.dir)
                .filter((name) => /^\d{4}-\d\d-\d\d$/.test(name))
                .sort();
          for (const day of days) {
            const folder = path.join(config.dir, day);
            let names: string[] = [];
            try {
              names = readdirSync(folder)
                .filter((name) => name.endsWith('.csv'))
                .sort();
            } catch {
              continue;
            }
            for (const name of names) {
              const file = path.join(folder, name);
              if (!statSync(file).isFile()) continue;
              const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
              if (await options.alreadyLoaded(sha256)) continue;
              // Received when last written, as a drop folder takes it: a file left there is the same delivery.
              const unit: SourceUnit = { ...(await localFileUnit(file, statSync(file).mtime)), sha256 };
              yield unit;
            }
          }
        },
        async settle(unit, outcome) {
          log.settled.push([unit.name, outcome]);
        },
        async close() {},
      };
    },
  };
}
