/**
 * Refusals of the server that only a change of DATABASE_URL cures: the database it names does not exist (3D000),
 * the role does not or may not log in from here (28000), the password is wrong (28P01). A setting to change, as a
 * bad data directory of the embedded server is: exit 2, never a failure of the run (there was none) and never
 * retried as a fault of the infrastructure.
 */
const SETTING_CODES = new Set(['3D000', '28000', '28P01']);

/** The server's message of such a refusal, with what to change; undefined for any other error. */
export function databaseSettingError(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && SETTING_CODES.has(code) && typeof message === 'string')
      return `${message}: check DATABASE_URL (the server, database, user and password it names)`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}
