import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { AlertSink } from '../alerts/alert-event.ts';
import { nothingDeliveredEvent, updateCycleMissedEvent } from '../alerts/alert-events.ts';
import { CalendarMissingError, calendar } from '../calendar/working-days.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { partitionDay } from '../pipelines/partition-day.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { maskedPipelineNames, type PipelineNamesNow } from '../pipelines/pipeline-names-shown.ts';
import { deliveredForPartition, lastDeliveryDay } from '../warehouse/alerts-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { pipelineHoldup } from './pipeline-holdup.ts';
import type { ScheduledJob } from './scheduler.ts';
import { cycleMissed, updateCycleOf } from './update-cycle.ts';

/**
 * One job per pipeline with `schedule.expectedBy`: at that time (Beijing), the partition day a run started now
 * would be for must have had a run that read at least one row; otherwise `nothing-delivered` is logged and
 * alerted. A pipeline with no cron is checked too: its files may be run by hand or by the queue. `pipelineNames`:
 * how the log line and the alert name the pipeline (as `pipelines list` does, `…~1`).
 */
export function deliveryDeadlineJobs(
  pipelines: readonly PipelineDefinition[],
  warehouse: Warehouse,
  alerts: AlertSink,
  logger: Logger,
  pipelineNames: PipelineNamesNow = maskedPipelineNames,
): ScheduledJob[] {
  return pipelines.flatMap((pipeline) => {
    const expectedBy = pipeline.schedule.expectedBy;
    if (!expectedBy) return [];
    const [hour, minute] = expectedBy.split(':').map(Number);
    return [
      {
        name: `expected-by:${pipeline.name}`,
        cron: `${minute} ${hour} * * *`,
        run: async (_signal, scheduledAt) => {
          await checkDelivered(
            pipeline,
            partitionDay(pipeline.partition, scheduledAt),
            warehouse,
            alerts,
            logger,
            pipelineNames,
          );
        },
      },
    ];
  });
}

/**
 * Whether the pipeline delivered for `partition`; alerts when not, naming the pipeline as `pipelines list` does
 * (`pipelineNames`), so that the alert's `runs list --pipeline` hint can be typed back.
 */
export async function checkDelivered(
  pipeline: PipelineDefinition,
  partition: string,
  warehouse: Warehouse,
  alerts: AlertSink,
  logger: Logger,
  pipelineNames: PipelineNamesNow = maskedPipelineNames,
): Promise<boolean> {
  const expectedBy = pipeline.schedule.expectedBy ?? '';
  if (await deliveredForPartition(warehouse, pipeline.name, partition)) return true;
  const holdup = await pipelineHoldup(warehouse, pipeline.name);
  const shown = (await pipelineNames().catch(() => maskPersonalText))(pipeline.name);
  logger.warn(
    `pipeline ${shown}: nothing delivered for ${partition} by ${expectedBy} (Asia/Shanghai)` +
      (holdup.length > 0 ? `; held up on the platform's side: ${holdup.join('; ')}` : ''),
    {
      pipeline: shown,
      partition,
      code: 'nothing-delivered',
    },
  );
  await alerts.alert(nothingDeliveredEvent(pipeline.name, partition, expectedBy, holdup, shown));
  return false;
}

/**
 * Every provider and entry a pipeline feeds, against the entry's update cycle (update-cycle.ts): a provider whose
 * last loaded file is older than one cycle is logged and alerted (`update-cycle-missed`). A pair that never
 * delivered is left to `expectedBy` (a new feed is not late yet); a cycle in a year without calendar data is left
 * to the calendar warning.
 */
export async function checkUpdateCycles(
  pipelines: readonly PipelineDefinition[],
  catalog: Catalog,
  warehouse: Warehouse,
  alerts: AlertSink,
  logger: Logger,
  today: string = todayInShanghai(),
): Promise<number> {
  const seen = new Set<string>();
  let missed = 0;
  for (const pipeline of pipelines) {
    const entry = catalog.resolve(pipeline.catalog, today);
    const pair = `${pipeline.provider}\u0000${entry.code}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    const cycle = updateCycleOf(entry.attributes.updateCycle);
    const last = await lastDeliveryDay(warehouse, pipeline.provider, entry.code);
    if (!cycle || !last) continue;
    try {
      if (!cycleMissed(cycle, last, today, calendar())) continue;
    } catch (error) {
      if (error instanceof CalendarMissingError) continue;
      throw error;
    }
    missed++;
    logger.warn(
      `provider ${pipeline.provider} has not delivered ${entry.code} since ${last} (update cycle: ${entry.attributes.updateCycle})`,
      { provider: pipeline.provider, catalog: entry.code, code: 'update-cycle-missed' },
    );
    await alerts.alert(
      updateCycleMissedEvent({
        provider: pipeline.provider,
        entry: entry.code,
        entryTitle: entry.title,
        updateCycle: entry.attributes.updateCycle,
        lastDelivery: last,
        today,
      }),
    );
  }
  return missed;
}
