/**
 * A documented on/off variable (`CREDIT_ETL_FULL_LINEAGE`, `CREDIT_ETL_FAST_REDELIVERY`, `CREDIT_ETL_SECURE_COOKIE`;
 * `CREDIT_ETL_FROM_SOURCE` is read the same way by scripts/cli-build.js, before anything is compiled): `1` (or
 * `true`, `yes`, `on`, any case) is on, `0` (`false`, `no`, `off`) off, unset or empty its default (undefined).
 * Anything else (`maybe`, `ture`, `2`) is refused, naming the variable and the accepted values, so a typo never
 * silently leaves the default in force. Here, at the bottom of the imports, so that the config, the engine and the
 * console read them alike; callers turn the error into their own configuration error (exit 2).
 */
export function onOffSetting(name: string, env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  if (ON.has(text.toLowerCase())) return true;
  if (OFF.has(text.toLowerCase())) return false;
  throw new OnOffSettingError(onOffRefusal(name, text));
}

const ON = new Set(['1', 'true', 'yes', 'on']);
const OFF = new Set(['0', 'false', 'no', 'off']);

/** The refusal's text; scripts/cli-build.js prints the same shape for `CREDIT_ETL_FROM_SOURCE`. */
export const onOffRefusal = (name: string, text: string): string =>
  `${name}=${text} is not on or off: set 1 (or true, yes, on), 0 (or false, no, off) or leave it unset`;

export class OnOffSettingError extends Error {
  override readonly name = 'OnOffSettingError';
}
