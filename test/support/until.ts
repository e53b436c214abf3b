import { setTimeout as sleep } from 'node:timers/promises';

/** `check`'s first defined value, asked every `everyMs` until `timeoutMs` has passed (then it throws, naming `what`). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 90_000, everyMs = 300 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
