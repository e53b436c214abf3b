import cron from 'node-cron';

/** The next `count` instants a node-cron expression fires in Asia/Shanghai (as `schedule` runs it); [] if invalid. */
export function nextTriggers(expression: string, count: number): Date[] {
  if (!cron.validate(expression)) return [];
  const task = cron.createTask(expression, () => undefined, { timezone: 'Asia/Shanghai' });
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}
