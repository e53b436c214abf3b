import { todayInShanghai } from '../../connectors/shanghai-time.ts';

/**
 * A decision date 30 days before today (Shanghai): a penalty decided then stays within its disclosure period
 * (一般, one year) whenever the test runs.
 */
export function decidedAMonthAgo(): string {
  return new Date(Date.parse(`${todayInShanghai()}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);
}

/** The arguments of `credit-etl report disclosure` of what is disclosed today, written to `out`. */
export function disclosureReportArgs(out: string): string[] {
  return ['report', 'disclosure', '--as-of', todayInShanghai(), '--out', out];
}
