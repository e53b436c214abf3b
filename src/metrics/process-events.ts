/**
 * What this process did since it started, kept in plain maps so the code that records it never loads
 * prom-client (a CLI run without a metrics server pays nothing); the registry reads them at scrape time.
 */
export interface ProcessEvents {
  /** Runs this process finished and the registry has not observed yet, with their durations in seconds. */
  runs: { kind: string; status: string; seconds: number }[];
  /** Alert deliveries by channel kind and result (`sent`, `failed`, `suppressed`). */
  alerts: Map<string, number>;
}

const events: ProcessEvents = { runs: [], alerts: new Map() };

/** The most run durations kept for the histogram between scrapes (a scheduler runs a few a day). */
const MAX_KEPT_RUNS = 10_000;

/** A run finished in this process: counted in `credit_etl_process_runs_total` and the duration histogram. */
export function recordRunFinished(kind: string, status: string, seconds: number): void {
  if (events.runs.length >= MAX_KEPT_RUNS) events.runs.shift();
  events.runs.push({ kind, status, seconds });
}

/** An alert delivery's result, counted in `credit_etl_alerts_total{channel,result}`. */
export function recordAlertDelivery(channel: string, result: 'sent' | 'failed' | 'suppressed'): void {
  const key = `${channel}\u0000${result}`;
  events.alerts.set(key, (events.alerts.get(key) ?? 0) + 1);
}

/** The runs finished since the last call, handed over once (the registry observes each exactly once). */
export function takeFinishedRuns(): ProcessEvents['runs'] {
  return events.runs.splice(0);
}

/** Alert deliveries so far, as `[channel, result, count]`. */
export function alertDeliveries(): [channel: string, result: string, count: number][] {
  return [...events.alerts].map(([key, count]) => {
    const [channel = '', result = ''] = key.split('\u0000');
    return [channel, result, count];
  });
}
