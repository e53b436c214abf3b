/**
 * Bad logins are limited per client address and per user name (a guesser spreading over addresses still hits
 * the name's limit): after `maxFailures` failures within `windowMs`, further attempts are refused before the
 * password is even hashed, until the window of the oldest failure has passed. In memory: one console process;
 * a restart forgets, which an attacker cannot trigger from outside.
 */
export interface LoginThrottleOptions {
  maxFailuresPerName: number;
  maxFailuresPerAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailuresPerName: 5,
  maxFailuresPerAddress: 20,
  windowMs: 15 * 60_000,
};

export interface LoginThrottle {
  /** Milliseconds until this address or name may try again; 0 when it may now. */
  waitFor(address: string, name: string): number;
  fail(address: string, name: string): void;
  /** A good login clears the name's failures (not the address's: one good account does not vouch for it). */
  succeed(name: string): void;
}

export function createLoginThrottle(
  options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  now: () => number = Date.now,
): LoginThrottle {
  const failures = new Map<string, number[]>();
  const recent = (key: string) => {
    const cutoff = now() - options.windowMs;
    const kept = (failures.get(key) ?? []).filter((at) => at > cutoff);
    if (kept.length === 0) failures.delete(key);
    else failures.set(key, kept);
    return kept;
  };
  const wait = (key: string, max: number) => {
    const times = recent(key);
    return times.length < max ? 0 : times[times.length - max]! + options.windowMs - now();
  };
  const nameKey = (name: string) => `name:${name.toLowerCase()}`;
  return {
    waitFor: (address, name) =>
      Math.max(
        wait(`ip:${address}`, options.maxFailuresPerAddress),
        wait(nameKey(name), options.maxFailuresPerName),
      ),
    fail(address, name) {
      for (const key of [`ip:${address}`, nameKey(name)]) failures.set(key, [...recent(key), now()]);
    },
    succeed: (name) => void failures.delete(nameKey(name)),
  };
}
