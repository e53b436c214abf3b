import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { describeErrorCode, errorCodeTable } from '../src/report/error-codes.ts';
import { runCli } from './support/run-cli.ts';

/**
 * The error codes the code can emit, found where they are written: `code: '…'` in a row error or failure,
 * `new SomeError('…'` (file, transport and unit failures), and SQL building a row error (`'code', '…'`).
 */
function codesInSource(): Map<string, string> {
  const files = ['src', 'connectors'].flatMap((directory) =>
    readdirSync(path.join(PROJECT_ROOT, directory), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      .map((entry) => path.join(entry.parentPath, entry.name)),
  );
  const codes = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [, code] of text.matchAll(
      /(?:\bcode: |\bnew [A-Z]\w*\(\s*|'code', (?='[a-z0-9]+-))'([a-z][a-z0-9]*(?:-[a-z0-9]+)*)'/g,
    ))
      codes.set(code!, path.relative(PROJECT_ROOT, file));
  }
  return codes;
}

/** Strings the search finds that are not error codes: encodings, a program name, a transport type, a fault side. */
const NOT_CODES = new Set(['utf-8', 'gb18030', 'credit-etl', 'drop-folder', 'worker']);

describe('error codes explained in Chinese (published with the catalog)', () => {
  it('has every code the engine can emit, with a meaning and a fix', () => {
    const found = codesInSource();
    expect(found.size).toBeGreaterThan(60);
    const missing = [...found]
      .filter(([code]) => !NOT_CODES.has(code) && !describeErrorCode(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
    // Built at run time: the ajv keyword (schema-…) and the legal procedure (record-withdrawn/-superseded).
    for (const code of ['schema-pattern', 'record-withdrawn', 'record-superseded', 'record-corrected'])
      expect(describeErrorCode(code), code).toBeDefined();
    for (const entry of errorCodeTable()) {
      expect(entry.meaning, entry.code).toMatch(/\p{Script=Han}/u);
      expect(entry.fix, entry.code).toMatch(/\p{Script=Han}/u);
    }
  });

  it('catalog docs publishes the table in catalog.md and catalog.html', async () => {
    const out = path.join(PROJECT_ROOT, 'reports', 'artifacts', 'catalog-docs');
    const result = await runCli(['catalog', 'docs', '--out', out], {});
    expect(result.code, result.stderr).toBe(0);
    const markdown = readFileSync(path.join(out, 'catalog.md'), 'utf8');
    expect(markdown).toContain('## 错误代码说明');
    expect(markdown).toMatch(
      /\| `uscc-check-digit` \| 数据行 \| 统一社会信用代码第 18 位校验位错误 \| 对照营业执照/,
    );
    const html = readFileSync(path.join(out, 'catalog.html'), 'utf8');
    expect(html).toContain('<section id="error-codes">');
    expect(html).toContain('<td class="code">resident-id-legacy-15</td>');
  });
});
