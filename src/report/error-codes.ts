import codeFile from './error-codes.json' with { type: 'json' };
import { fixHint } from './fix-hint.ts';

/** Who acts on an error: the provider corrects cells, or sends the file again; or the platform's operators. */
export type ErrorScope = 'row' | 'file' | 'platform';

/** One line of the published table of error codes (错误代码说明). */
export interface ErrorCodeDescription {
  /** The code; a prefix ending in `-` (`schema-`) stands for every code that starts with it. */
  code: string;
  scope: ErrorScope;
  meaning: string;
  fix: string;
}

const CODES = codeFile.codes as Record<string, { scope: ErrorScope; meaning: string }>;
const SCOPE_ORDER: Record<ErrorScope, number> = { row: 0, file: 1, platform: 2 };
const PLATFORM_FIX = '由平台运维人员处理，报送单位无需操作';

/** Every error code with its meaning and fix, row problems first, then file problems, then the platform's. */
export function errorCodeTable(): ErrorCodeDescription[] {
  return Object.entries(CODES)
    .map(([code, { scope, meaning }]) => ({
      code,
      scope,
      meaning,
      fix: scope === 'platform' ? PLATFORM_FIX : fixHint(code),
    }))
    .sort((a, b) => SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope]);
}

/** The table's line for a code: exact, or the `-`-ending prefix it starts with; undefined when unknown. */
export function describeErrorCode(code: string): ErrorCodeDescription | undefined {
  return errorCodeTable().find(
    (entry) => entry.code === code || (entry.code.endsWith('-') && code.startsWith(entry.code)),
  );
}
