import { describe, expect, it, vi } from 'vitest';

/** This module as another process would load it: its own job numbers, the same pid (as in two containers). */
async function freshModule() {
  vi.resetModules();
  return import('./isolated-unit.ts');
}

describe("a unit's session name", () => {
  it('differs between two processes with the same pid and job number, so ending one never ends the other', async () => {
    const one = (await freshModule()).unitSessionName();
    const other = (await freshModule()).unitSessionName();
    expect(one).toMatch(new RegExp(`^credit-etl unit ${process.pid}-1 `));
    expect(other).toMatch(new RegExp(`^credit-etl unit ${process.pid}-1 `));
    expect(one).not.toBe(other);
  });

  it('fits in PostgreSQL’s application_name (63 bytes) whole, as endSessions matches it exactly', async () => {
    const { unitSessionName } = await freshModule();
    expect(Buffer.byteLength(unitSessionName())).toBeLessThanOrEqual(63);
  });
});
