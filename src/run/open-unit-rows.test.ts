import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvFormat } from '../../connectors/formats/csv-format.ts';
import { localFileUnit } from '../../connectors/transports/local-file.ts';
import { openUnitRows } from './open-unit-rows.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'open-unit-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** This process's open descriptors on the file (Linux: /proc). */
function openOn(file: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // Closed while the list was read.
    }
  }
  return count;
}

describe.skipIf(!existsSync('/proc/self/fd'))('a unit its format refuses before the rows', () => {
  // A scheduled server reads the drop folder night after night: one descriptor per poison file would add up.
  it.each([
    [
      'an .xlsx (5 MB) renamed 处罚.csv',
      Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(5 << 20, 7)]),
    ],
    ['a CSV file with a blank declared header row', Buffer.from(`标题\n,,\n${'1,2,3\n'.repeat(400_000)}`)],
  ])('%s: the error is the format’s, and the file is closed', async (_name, bytes) => {
    const file = path.join(dir, '处罚.csv');
    writeFileSync(file, bytes);
    const unit = await localFileUnit(file);
    for (let i = 0; i < 3; i++) {
      await expect(openUnitRows(unit, csvFormat, { encoding: 'auto', headerRow: 2 })).rejects.toMatchObject({
        code: expect.stringMatching(/^(unsupported-format|header-not-found)$/),
      });
    }
    await expect.poll(() => openOn(file)).toBe(0);
  });
});
