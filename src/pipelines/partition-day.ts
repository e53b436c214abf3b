import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { PartitionRule } from './pipeline-definition.ts';

/** The partition day (YYYY-MM-DD) of a run started at `now`: the pipeline's offset from today in Asia/Shanghai. */
export function partitionDay(rule: PartitionRule, now: Date): string {
  const today = Date.parse(`${todayInShanghai(now)}T00:00:00Z`);
  return new Date(today + rule.offsetDays * 86_400_000).toISOString().slice(0, 10);
}
