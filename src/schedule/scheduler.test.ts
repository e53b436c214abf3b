import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordingLogger } from '../../test/support/recording-logger.ts';
import { createLogger } from '../log/logger.ts';
import { DEFAULT_RETRY, type PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { DEFAULT_THRESHOLDS } from '../run/reject-threshold.ts';
import { nextTriggers, startScheduler } from './scheduler.ts';

const shanghai = (date: Date) =>
  new Date(date.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);

function pipeline(name: string, cron: string): PipelineDefinition {
  return {
    name,
    file: `${name}.json`,
    catalog: 'xzcf',
    provider: 'P',
    level: 'city',
    encoding: 'auto',
    transport: { type: 'test' },
    fieldMapping: {},
    schedule: { cron, enabled: true },
    thresholds: DEFAULT_THRESHOLDS,
    retry: DEFAULT_RETRY,
    partition: { offsetDays: -1 },
    allowPilotCodes: false,
  };
}

describe('schedules in Asia/Shanghai', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const now = (iso: string) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(iso));
  };

  it('01:30 every night is 17:30 UTC the evening before', () => {
    now('2026-11-27T12:00:00Z'); // 20:00 in Shanghai
    const runs = nextTriggers('0 30 1 * * *', 3);
    expect(runs.map(shanghai)).toEqual(['2026-11-28 01:30:00', '2026-11-29 01:30:00', '2026-11-30 01:30:00']);
    expect(runs[0]?.toISOString()).toBe('2026-11-27T17:30:00.000Z');
  });

  it('weekday mornings skip the weekend (Shanghai weekdays, not UTC ones)', () => {
    // Friday 2026-11-27 20:00 Shanghai: the next 07:00 Mon–Fri triggers are Monday and Tuesday.
    now('2026-11-27T12:00:00Z');
    const runs = nextTriggers('0 7 * * 1-5', 2);
    expect(runs.map(shanghai)).toEqual(['2026-11-30 07:00:00', '2026-12-01 07:00:00']);
  });

  it("node-cron's own next run agrees with the wall clock in Shanghai", () => {
    const [next] = nextTriggers('0 0 2 * * *', 1);
    expect(next && shanghai(next).slice(11)).toBe('02:00:00');
  });
});

describe('the scheduler', () => {
  it('skips and logs a trigger that arrives while the same pipeline is still running', async () => {
    const { lines, logger } = recordingLogger();
    let started = 0;
    let release = () => {};
    const busy = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scheduler = startScheduler({
      pipelines: [pipeline('every-second', '* * * * * *')],
      logger,
      runPipeline: async () => {
        started++;
        await busy;
      },
    });
    // Three triggers pass while the first run is held open.
    while (!lines.some((line) => line.includes('skipped'))) await sleep(100);
    expect(started).toBe(1);
    release();
    await scheduler.stop();
    expect(lines.find((line) => line.includes('skipped'))).toMatch(/still running/);
  });

  it("retries a job's work stopped by the database being away (the nightly verify), until it is done", async () => {
    const { lines, logger } = recordingLogger();
    const refused = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const tries: Date[] = [];
    let done = false;
    const scheduler = startScheduler({
      pipelines: [],
      logger,
      runPipeline: async () => undefined,
      jobs: [
        {
          name: 'verify',
          // Every 10 s: room for the retries after up to 1 and 2 s before the next trigger (a retry that would
          // reach it gives up), also when a loaded machine runs the trigger and its tries seconds late.
          cron: '*/10 * * * * *',
          run: async (_signal, scheduledAt) => {
            tries.push(scheduledAt);
            if (tries.length <= 2) throw refused();
            done = true;
          },
        },
      ],
    });
    for (let waited = 0; !done; waited += 100) {
      expect(waited, lines.join('')).toBeLessThan(30_000);
      await sleep(100);
    }
    await scheduler.stop();
    // Three tries of one trigger, not three triggers.
    expect(tries.map((at) => at.getTime())).toEqual(Array(3).fill(tries[0]!.getTime()));
    expect(lines.filter((line) => line.includes('trying again in'))).toHaveLength(2);
    expect(lines.some((line) => line.includes('verify failed'))).toBe(false);
  });

  it("gives a job's work up with an error that is not the infrastructure's, at once", async () => {
    const { lines, logger } = recordingLogger();
    const scheduler = startScheduler({
      pipelines: [],
      logger,
      runPipeline: async () => undefined,
      jobs: [
        {
          name: 'objection-check',
          cron: '* * * * * *',
          run: async () => {
            throw new Error('a bug, not a fault');
          },
        },
      ],
    });
    while (!lines.some((line) => line.includes('objection-check failed'))) await sleep(50);
    await scheduler.stop();
    expect(lines.find((line) => line.includes('objection-check failed'))).toContain('a bug, not a fault');
    expect(lines.some((line) => line.includes('trying again in'))).toBe(false);
  });

  it('stop() asks a running pipeline to stop and waits for it', async () => {
    let sawAbort = false;
    let entered = false;
    let scheduled: Date | undefined;
    const scheduler = startScheduler({
      pipelines: [pipeline('stops', '* * * * * *')],
      logger: createLogger({ console: false }),
      runPipeline: async (_pipeline, signal, scheduledAt) => {
        scheduled = scheduledAt;
        entered = true;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        sawAbort = true;
      },
    });
    while (!entered) await sleep(50);
    await scheduler.stop();
    expect(sawAbort).toBe(true);
    // The run learns its trigger's time (a whole second here), from which its partition day counts.
    expect(scheduled?.getMilliseconds()).toBe(0);
  });
});
