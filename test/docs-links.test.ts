import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { handbookFiles, headingAnchors, markdownLinks, readProjectFile } from './support/markdown.ts';

/** A page moved or a heading renamed must not leave a reader at a dead link. */
describe('the handbook (README.md and docs/)', () => {
  it('has the README as a front page of at most 15,000 bytes', () => {
    expect(Buffer.byteLength(readProjectFile('README.md'))).toBeLessThanOrEqual(15_000);
  });

  it('finds the anchors GitHub makes of headings, Chinese and code spans included', () => {
    const anchors = headingAnchors(
      '# Title\n## Review notice (复核通知, Art. 14) — `report notice`\n## Data-integrity model\n## Data-integrity model\n',
    );
    expect([...anchors]).toEqual([
      'title',
      'review-notice-复核通知-art-14--report-notice',
      'data-integrity-model',
      'data-integrity-model-1',
    ]);
  });

  for (const page of handbookFiles()) {
    it(`${page}: every relative link leads to a file, and every anchor to a heading`, () => {
      const broken: string[] = [];
      for (const { line, target } of markdownLinks(readProjectFile(page))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: — outside the repository
        const [file = '', anchor] = target.split('#') as [string, string | undefined];
        const targetPath = file ? path.join(path.dirname(page), decodeURIComponent(file)) : page;
        const absolute = path.join(PROJECT_ROOT, targetPath);
        if (!existsSync(absolute)) {
          broken.push(`${page}:${line}: ${target}: no file ${targetPath}`);
          continue;
        }
        if (anchor === undefined) continue;
        if (statSync(absolute).isDirectory() || !targetPath.endsWith('.md')) {
          broken.push(`${page}:${line}: ${target}: an anchor into something that is not a markdown page`);
          continue;
        }
        if (!headingAnchors(readProjectFile(targetPath)).has(decodeURIComponent(anchor))) {
          broken.push(`${page}:${line}: ${target}: ${targetPath} has no heading #${anchor}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
