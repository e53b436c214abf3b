import { describe, expect, it } from 'vitest';
import { toUnitFailure } from './unit-failure.ts';

/** A system error as Node's fs raises it: its code, its English text naming the server's path. */
function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: open '/srv/drop/a.csv'`), { code });
}

describe('toUnitFailure of system errors', () => {
  it("takes the platform's own limits and permissions as file-unreadable (not the provider's), in Chinese", () => {
    for (const code of ['EACCES', 'EPERM', 'EMFILE', 'ENFILE']) {
      const failure = toUnitFailure(systemError(code));
      expect(failure.code, code).toBe('file-unreadable');
      expect(failure.message, code).toMatch(/^无法读取文件，未入库任何数据：平台/);
      expect(failure.message, code).not.toContain('/srv/drop');
      expect(failure.detail, code).toContain(`[${code}]`);
    }
  });

  it("keeps a file gone or a folder sent as the delivery's own (unreadable-file)", () => {
    expect(toUnitFailure(systemError('ENOENT')).code).toBe('unreadable-file');
    expect(toUnitFailure(systemError('EISDIR')).code).toBe('unreadable-file');
  });
});
