import { isIP } from 'node:net';
import { OnOffSettingError, onOffSetting } from '../../connectors/on-off-setting.ts';
import { ConfigError } from '../config/config.ts';
import { metricsListenFrom } from '../metrics/metrics-listen.ts';

/** How the console listens and keeps sessions; read from the environment by `serve`, overridable by its flags. */
export interface ConsoleSettings {
  /** `CREDIT_ETL_CONSOLE_HOST`, default 127.0.0.1: reachable from this machine only (a reverse proxy in front). */
  host: string;
  /** `CREDIT_ETL_CONSOLE_PORT`, default 8080; 0 picks a free port (tests). */
  port: number;
  /** `CREDIT_ETL_SESSION_HOURS`, default 8: a session ends this long after login (or at logout). */
  sessionHours: number;
  /**
   * `CREDIT_ETL_SECURE_COOKIE=1`: the session cookie is sent over https only. `0` or unset: on when the
   * request came over https (directly, or per X-Forwarded-Proto from a trusted proxy). Anything else is refused.
   */
  secureCookie: boolean;
  /**
   * `CREDIT_ETL_CONSOLE_TRUST_PROXY`: the reverse proxy's address(es) or ranges (`10.0.0.0/8`), comma-separated
   * (e.g. `127.0.0.1`), whose X-Forwarded-For / X-Forwarded-Proto are believed. Unset: none (the peer address is
   * the client's).
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
  const host = env.CREDIT_ETL_CONSOLE_HOST?.trim() || '127.0.0.1';
  if (!isListenHost(host))
    throw new ConsoleSettingsError(
      `CREDIT_ETL_CONSOLE_HOST=${host} is not an IP address or a host name: use e.g. 127.0.0.1 (the default), ::1 or localhost`,
    );
  const trustProxy = (env.CREDIT_ETL_CONSOLE_TRUST_PROXY ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const untrustable = trustProxy.filter((part) => !isProxyAddress(part));
  if (untrustable.length > 0)
    throw new ConsoleSettingsError(
      `CREDIT_ETL_CONSOLE_TRUST_PROXY=${env.CREDIT_ETL_CONSOLE_TRUST_PROXY?.trim()}: ${untrustable.join(', ')} is not an IP address or range: use e.g. 127.0.0.1 or 10.0.0.0/8, comma-separated`,
    );
  try {
    // Not used by the console, but checked by every long-running command alike (docs/configuration.md): a bad
    // value in the environment file the services share is found when serve starts, not when schedule does.
    metricsListenFrom(env);
    return {
      host,
      port,
      sessionHours,
      secureCookie: onOffSetting('CREDIT_ETL_SECURE_COOKIE', env) === true,
      trustProxy,
    };
  } catch (error) {
    if (error instanceof OnOffSettingError || error instanceof ConfigError)
      throw new ConsoleSettingsError(error.message);
    throw error;
  }
}

/** What `serve` may listen on (CREDIT_ETL_CONSOLE_HOST, `--host`): an IP address or a host name. */
export const isListenHost = (text: string): boolean => isIP(text) !== 0 || isHostName(text);

/**
 * A host name `listen` can look up (RFC 1123: dot-separated labels of letters, digits and inner hyphens, up to 63
 * characters each and 253 in all; a final dot allowed). Whether it resolves is found when serve listens.
 */
function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name === '' || name.length > 253) return false;
  const labels = name.split('.');
  // All digits at the end is a mistyped address (`10.0.0.256`), not a name.
  if (/^\d+$/.test(labels.at(-1) ?? '')) return false;
  return labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

/**
 * What Fastify's trustProxy takes as a proxy: an address, a range `address/prefix-length`, or one of proxy-addr's
 * names for the private ranges (`loopback`, `linklocal`, `uniquelocal`).
 */
function isProxyAddress(text: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(text)) return true;
  const [address = '', prefix, ...more] = text.split('/');
  const family = isIP(address);
  if (family === 0 || more.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
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
