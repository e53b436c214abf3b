import type { UploadTimeouts } from '../console-deps.ts';
import { ConsoleSettingsError } from '../console-settings.ts';

/** Default upper bound of one direct-report upload: larger deliveries go through the 前置库 or SFTP. */
const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

/**
 * `CREDIT_ETL_DIRECT_REPORT_MAX_BYTES`: the largest file a provider may upload in the console (数据直报), checked
 * while it streams; default 100 MiB. A bad value is a configuration error at start-up, not a silent default.
 */
export function directReportLimit(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES?.trim();
  if (!text) return DEFAULT_MAX_BYTES;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConsoleSettingsError(
      `CREDIT_ETL_DIRECT_REPORT_MAX_BYTES=${text} is not a number of bytes (e.g. 104857600)`,
    );
  return value;
}

/** Uploads one user may have under way at once (receiving, then loading): the next waits for its result. */
export const UPLOADS_PER_USER = 1;

/**
 * Uploads the console runs at once, all users together. Each is a run in the console's own process (its worker
 * thread, its read buffers: 8 at once took RSS from 150 to 246 MB); more wait their turn (429). A fixed number
 * on purpose: bigger deliveries go through the 前置库 or SFTP, whose runs the scheduler and workers pace.
 */
export const UPLOADS_AT_ONCE = 2;

/**
 * How long an upload may take to arrive, fixed on purpose like the numbers above (docs/console.md, Timeouts). A
 * county office's link may be slow, but it keeps sending: 100 MiB in an hour is 240 kbit/s. An upload of which no
 * byte arrives for two minutes has stalled (a network gone, a client that stopped): given up, so that it holds its
 * slot no longer. Receiving only: the checks and the load after it take what they take.
 */
export const UPLOAD_TIMEOUTS: UploadTimeouts = { idleMs: 2 * 60_000, totalMs: 60 * 60_000 };

/** Why an upload cannot start now: one of the user's own is under way, or the console's allowance is used up. */
export type UploadBusy = 'user' | 'console';

/** The uploads under way, counted in the console process (like the login throttle's counters). */
export interface UploadSlots {
  /** A slot for the user's upload, or why there is none; `release()` gives it back (a second call does nothing). */
  take(userId: number): { release(): void } | { busy: UploadBusy };
}

export function createUploadSlots(
  perUser: number = UPLOADS_PER_USER,
  atOnce: number = UPLOADS_AT_ONCE,
): UploadSlots {
  const byUser = new Map<number, number>();
  let running = 0;
  return {
    take(userId) {
      const own = byUser.get(userId) ?? 0;
      if (own >= perUser) return { busy: 'user' };
      if (running >= atOnce) return { busy: 'console' };
      byUser.set(userId, own + 1);
      running++;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          running--;
          const left = (byUser.get(userId) ?? 1) - 1;
          if (left > 0) byUser.set(userId, left);
          else byUser.delete(userId);
        },
      };
    },
  };
}
