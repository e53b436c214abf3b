/** How the console listens and keeps sessions; read from the environment by `serve`, overridable by its flags. */
export interface ConsoleSettings {
  /** `CREDIT_ETL_CONSOLE_HOST`, default 127.0.0.1: reachable from this machine only (a reverse proxy in front). */
  host: string;
  /** `CREDIT_ETL_CONSOLE_PORT`, default 8080; 0 picks a free port (tests). */
  port: number;
  /** `CREDIT_ETL_SESSION_HOURS`, default 8: a session ends this long after login (or at logout). */
  sessionHours: number;
  /**
   * `CREDIT_ETL_CONSOLE_SECURE_COOKIE=1`: the session cookie is sent over https only. Default: on when the
   * request came over https (directly, or per X-Forwarded-Proto from a trusted proxy).
   */
  secureCookie: boolean;
  /**
   * `CREDIT_ETL_CONSOLE_TRUST_PROXY`: the reverse proxy's address(es), comma-separated (e.g. `127.0.0.1`), whose
   * X-Forwarded-For / X-Forwarded-Proto are believed. Unset: none (the peer address is the client's).
   */
  trustProxy: string[];
}

export class ConsoleSettingsError extends Error {
  override readonly name = 'ConsoleSettingsError';
}

export function consoleSettingsFrom(env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const port = numberFrom(
    env,
    'CREDIT_ETL_CONSOLE_PORT',
    8080,
    (value) => Number.isInteger(value) && value >= 0 && value < 65536,
  );
  const sessionHours = numberFrom(
    env,
    'CREDIT_ETL_SESSION_HOURS',
    8,
    (value) => value > 0 && value <= 24 * 30,
  );
  return {
    host: env.CREDIT_ETL_CONSOLE_HOST?.trim() || '127.0.0.1',
    port,
    sessionHours,
    secureCookie: ['1', 'true', 'yes', 'on'].includes(
      env.CREDIT_ETL_CONSOLE_SECURE_COOKIE?.trim().toLowerCase() ?? '',
    ),
    trustProxy: (env.CREDIT_ETL_CONSOLE_TRUST_PROXY ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  };
}

function numberFrom(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  valid: (value: number) => boolean,
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || !valid(value))
    throw new ConsoleSettingsError(`${name}=${text} is not a valid value`);
  return value;
}
