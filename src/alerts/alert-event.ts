/** What is alerted (issue #20); each kind is one event, never one row. */
export const ALERT_KINDS = [
  'run-failed',
  'threshold-exceeded',
  'nothing-delivered',
  'update-cycle-missed',
  'calendar-year-missing',
  'objection-overdue',
  'verify-failed',
  'job-dead-lettered',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** One event to tell the operators about. Its text is masked before it leaves the process. */
export interface AlertEvent {
  kind: AlertKind;
  /**
   * What makes two events "the same" for suppression, e.g. `run-failed:xzcf-province`: a repeat within the
   * window is counted, not sent.
   */
  key: string;
  /** One line in Chinese, e.g. `管道 xzcf-province 运行失败`. */
  title: string;
  /** The details, one fact a line (run id, counts, the error, what to do). */
  lines: string[];
  /** When it was seen. */
  at: Date;
}

/** Where the engine reports events. Never throws and never waits long: an alert must not fail a run. */
export interface AlertSink {
  alert(event: AlertEvent): Promise<void>;
}

/** No alerts configured: nothing happens, nothing is loaded. */
export const NO_ALERTS: AlertSink = { alert: async () => undefined };
