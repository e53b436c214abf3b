import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { handbookFiles, readProjectFile } from './support/markdown.ts';

/** Every fenced shell block (```sh, ```bash, ```shell) of a page, with the line it starts on. */
function shellBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  let open: { line: number; lines: string[] } | undefined;
  let inOther = false;
  markdown.split('\n').forEach((text, i) => {
    const fence = /^\s*```(\w*)/.exec(text);
    if (fence && !open && !inOther) {
      if (['sh', 'bash', 'shell'].includes(fence[1]!)) open = { line: i + 1, lines: [] };
      else inOther = true;
    } else if (fence) {
      if (open) blocks.push({ line: open.line, code: open.lines.join('\n') });
      open = undefined;
      inOther = false;
    } else open?.lines.push(text);
  });
  return blocks;
}

/**
 * A usage synopsis is not an example: `<file>` is a redirection, `[--keep]` a glob and `a|b|c` a pipe to
 * commands that do not exist. Comments (after ` #`) may hold anything.
 */
function synopsisProblems(code: string): string[] {
  return code
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => {
      const problems: string[] = [];
      if (/<[a-z][\w.|-]*>/i.test(line)) problems.push(`placeholder in: ${line.trim()}`);
      if (/\[--?[a-z]/.test(line)) problems.push(`[optional] syntax in: ${line.trim()}`);
      if (/--[a-z-]+ [\w.-]+\|[\w.-]+/.test(line)) problems.push(`a|b alternatives in: ${line.trim()}`);
      return problems;
    });
}

describe('the shell examples in README.md and docs/ are valid shell (issue 18)', () => {
  const pages = handbookFiles().map((page) => ({ page, blocks: shellBlocks(readProjectFile(page)) }));

  it('finds the examples (README set-up, development checks, backfill, bench)', () => {
    const counted = new Map(pages.map(({ page, blocks }) => [page, blocks.length]));
    expect(counted.get('README.md')).toBeGreaterThan(0);
    expect(counted.get('docs/operating.md')).toBeGreaterThan(0);
    expect(counted.get('docs/performance.md')).toBeGreaterThan(0);
  });

  for (const { page, blocks } of pages) {
    for (const block of blocks) {
      it(`${page}:${block.line} parses with bash -n and is an example, not a synopsis`, () => {
        const parsed = spawnSync('bash', ['-n'], { input: block.code, encoding: 'utf8' });
        expect(parsed.stderr).toBe('');
        expect(parsed.status).toBe(0);
        expect(synopsisProblems(block.code)).toEqual([]);
      });
    }
  }
});
