/**
 * Bad logins are limited per client address and per user name (a guesser spreading over addresses still hits
 * the name's limit): after `maxFailures` failures within `windowMs`, further attempts are refused before the
 * password is even hashed, until the window of the oldest failure has passed. In memory: one console process;
 * a restart forgets, which an attacker cannot trigger from outside.
 *
 * An attempt counts against the allowance from the moment it is let in, before its password is checked (which
 * takes a while: scrypt): attempts sent in parallel cannot all pass the check while none has failed yet. One
 * that would go over the allowance only counting the attempts still being checked waits for them, then is let
 * in or refused by what they turned out to be — so N parallel attempts never check more passwords than the
 * allowance, and a person's own parallel logins (tabs restored at once) are not refused for being parallel.
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

/** An attempt let in: it holds a place in the allowance until its outcome is told (exactly once). */
export interface LoginAttempt {
  /** A wrong password, an unknown or disabled name: the place stays taken, as a failure. */
  failed(): void;
  /** The right password: the place is given back, and the name's failures are cleared. */
  succeeded(): void;
  /** Neither (the check itself broke, e.g. the database): the place is given back, nothing recorded. */
  abandoned(): void;
}

export type LoginTurn = { attempt: LoginAttempt } | { refusedForMs: number };

export interface LoginThrottle {
  /**
   * Lets an attempt in (its place reserved) or refuses it with the milliseconds until this address or name may
   * try again; waits first while attempts still being checked would decide it.
   */
  begin(address: string, name: string): Promise<LoginTurn>;
}

export function createLoginThrottle(
  options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  now: () => number = Date.now,
): LoginThrottle {
  const failures = new Map<string, number[]>();
  /** Attempts let in and not yet told, by key: each settles (resolves) when its outcome is told. */
  const checking = new Map<string, Set<Promise<void>>>();
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
  const limits = (address: string, name: string): [key: string, max: number][] => [
    [`ip:${address}`, options.maxFailuresPerAddress],
    [nameKey(name), options.maxFailuresPerName],
  ];

  const admit = (keys: [string, number][]): LoginAttempt => {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    for (const [key] of keys) {
      const set = checking.get(key) ?? new Set();
      set.add(settled);
      checking.set(key, set);
    }
    let told = false;
    const tell = (record: () => void) => {
      if (told) return;
      told = true;
      for (const [key] of keys) {
        const set = checking.get(key);
        set?.delete(settled);
        if (set?.size === 0) checking.delete(key);
      }
      record();
      settle();
    };
    return {
      failed: () =>
        tell(() => {
          for (const [key] of keys) failures.set(key, [...recent(key), now()]);
        }),
      succeeded: () =>
        tell(() => {
          // A good login clears the name's failures (not the address's: one good account does not vouch for it).
          failures.delete(keys[1]![0]);
        }),
      abandoned: () => tell(() => {}),
    };
  };

  return {
    async begin(address, name) {
      const keys = limits(address, name);
      for (;;) {
        const refusedForMs = Math.max(...keys.map(([key, max]) => wait(key, max)));
        if (refusedForMs > 0) return { refusedForMs };
        const deciding = keys.flatMap(([key, max]) => {
          const pending = checking.get(key);
          return pending && recent(key).length + pending.size >= max ? [...pending] : [];
        });
        if (deciding.length === 0) return { attempt: admit(keys) };
        // Over the allowance only with the attempts in flight: what they turn out to be decides this one.
        await Promise.race(deciding);
      }
    },
  };
}
