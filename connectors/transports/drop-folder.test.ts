import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../contracts.ts';
import { type DropFolderConfig, dropFolderTransport } from './drop-folder.ts';
import { writeZip } from './zip-fixture.test-support.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'drop-folder-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const at = (...parts: string[]) => path.join(dir, ...parts);
const list = (...parts: string[]) => (existsSync(at(...parts)) ? readdirSync(at(...parts)).sort() : []);

async function poll(config: Partial<DropFolderConfig> = {}, loaded: Set<string> = new Set()) {
  const transport = dropFolderTransport.create({ directory: dir, ...config }, { stagingDir: dir, env: {} });
  const units: SourceUnit[] = [];
  for await (const unit of transport.poll({ alreadyLoaded: async (hash) => loaded.has(hash) }))
    units.push(unit);
  return { transport, units, names: units.map((unit) => unit.name) };
}

describe('drop folder with done-markers', () => {
  it('takes only files with a marker, received at their mtime, and files them with their markers', async () => {
    writeFileSync(at('a.csv'), 'x\n1\n');
    writeFileSync(at('a.csv.ok'), '');
    writeFileSync(at('b.csv'), 'x\n2\n');
    writeFileSync(at('c.xlsx'), 'not really');
    writeFileSync(at('c.xlsx.done'), '');
    writeFileSync(at('notes.doc'), 'ignored');
    writeFileSync(at('notes.doc.ok'), '');
    const mtime = new Date('2026-11-20T02:00:00Z');
    utimesSync(at('a.csv'), mtime, mtime);
    const { transport, units, names } = await poll();
    expect(names).toEqual(['a.csv', 'c.xlsx']);
    expect(units[0]?.receivedAt).toEqual(mtime);
    expect(units[0]?.sha256).toBe(sha('x\n1\n'));
    await transport.settle(units[0] as SourceUnit, 'loaded');
    await transport.settle(units[1] as SourceUnit, 'failed');
    expect(list()).toEqual(['b.csv', 'failed', 'notes.doc', 'notes.doc.ok', 'processed']);
    expect(list('processed')).toEqual(['a.csv', 'a.csv.ok']);
    expect(list('failed')).toEqual(['c.xlsx', 'c.xlsx.done']);
  });

  it('honours configured marker suffixes and glob', async () => {
    writeFileSync(at('a.csv'), 'x\n');
    writeFileSync(at('a.csv.ok'), '');
    writeFileSync(at('b.txt'), 'x\n');
    writeFileSync(at('b.txt.ready'), '');
    const { names } = await poll({ markerSuffixes: ['.ready'], glob: '*.txt' });
    expect(names).toEqual(['b.txt']);
  });
});

describe('drop folder without markers', () => {
  it('takes a file only when its size did not change between two listings', async () => {
    writeFileSync(at('done.csv'), 'x\n1\n');
    writeFileSync(at('growing.csv'), 'x\n');
    const timer = setInterval(() => appendFileSync(at('growing.csv'), '1\n'), 20);
    try {
      const { names } = await poll({ markerSuffixes: [], stableSizeMs: 300 });
      expect(names).toEqual(['done.csv']);
    } finally {
      clearInterval(timer);
    }
  });
});

describe('drop folder and the sha256 ledger', () => {
  it('yields content already loaded too, even renamed or twice in one poll: the ledger of the load skips it', async () => {
    writeFileSync(at('renamed.csv'), 'x\n1\n');
    writeFileSync(at('renamed.csv.ok'), '');
    writeFileSync(at('same-twice.csv'), 'x\n3\n');
    writeFileSync(at('same-twice.csv.ok'), '');
    writeFileSync(at('same-twice-copy.csv'), 'x\n3\n');
    writeFileSync(at('same-twice-copy.csv.ok'), '');
    const { transport, units, names } = await poll({}, new Set([sha('x\n1\n')]));
    // Nothing is filed before the run settles it: the run lists each (`skipped` when the ledger has it).
    expect(names).toEqual(['renamed.csv', 'same-twice-copy.csv', 'same-twice.csv']);
    expect(units.map((unit) => unit.sha256)).toEqual([sha('x\n1\n'), sha('x\n3\n'), sha('x\n3\n')]);
    expect(list('processed')).toEqual([]);
    for (const unit of units) await transport.settle(unit, 'loaded');
    expect(list('processed')).toEqual([
      'renamed.csv',
      'renamed.csv.ok',
      'same-twice-copy.csv',
      'same-twice-copy.csv.ok',
      'same-twice.csv',
      'same-twice.csv.ok',
    ]);
  });

  it('takes a changed file under an old name as a new delivery and files it beside the old one', async () => {
    writeFileSync(at('daily.csv'), 'x\n1\n');
    writeFileSync(at('daily.csv.ok'), '');
    const first = await poll();
    await first.transport.settle(first.units[0] as SourceUnit, 'loaded');
    writeFileSync(at('daily.csv'), 'x\n2\n');
    writeFileSync(at('daily.csv.ok'), '');
    const second = await poll({}, new Set([sha('x\n1\n')]));
    expect(second.names).toEqual(['daily.csv']);
    await second.transport.settle(second.units[0] as SourceUnit, 'loaded');
    expect(list('processed')).toEqual(['daily.2.csv', 'daily.csv', 'daily.csv.2.ok', 'daily.csv.ok']);
  });
});

describe('drop folder archives', () => {
  it('yields each zip entry and files the archive once all its entries settled', async () => {
    await writeZip(at('batch.zip'), { 'a.csv': 'x\n1\n', 'sub/b.csv': 'x\n2\n' });
    writeFileSync(at('batch.zip.ok'), '');
    const { transport, units, names } = await poll();
    expect(names).toEqual(['batch.zip!a.csv', 'batch.zip!sub/b.csv']);
    expect(units.map((unit) => unit.sha256)).toEqual([sha('x\n1\n'), sha('x\n2\n')]);
    await transport.settle(units[0] as SourceUnit, 'loaded');
    expect(list()).toContain('batch.zip');
    await transport.settle(units[1] as SourceUnit, 'failed');
    expect(list('failed')).toEqual(['batch.zip', 'batch.zip.ok']);
  });
});

describe('drop folder partitions (backfill)', () => {
  async function pollPartition(config: Partial<DropFolderConfig>, partition: string) {
    const transport = dropFolderTransport.create({ directory: dir, ...config }, { stagingDir: dir, env: {} });
    const names: string[] = [];
    for await (const unit of transport.poll({ partition, alreadyLoaded: async () => false }))
      names.push(unit.name);
    return names;
  }

  it('reads the day folder named by `{date}`, and nothing when that day has no folder', async () => {
    for (const day of ['2026-10-01', '2026-10-02']) {
      mkdirSync(at(day));
      writeFileSync(at(day, 'penalties.csv'), `x\n${day}\n`);
      writeFileSync(at(day, 'penalties.csv.ok'), '');
    }
    const dated = { directory: path.join(dir, '{date}') };
    expect(await pollPartition(dated, '2026-10-02')).toEqual(['penalties.csv']);
    expect(await pollPartition(dated, '2026-10-03')).toEqual([]);
  });

  it('in an undated folder, takes the files received that day (Asia/Shanghai)', async () => {
    writeFileSync(at('early.csv'), 'x\n1\n');
    writeFileSync(at('late.csv'), 'x\n2\n');
    for (const name of ['early.csv', 'late.csv']) writeFileSync(at(`${name}.ok`), '');
    // 2026-10-01T23:30 in Shanghai is still 1 October; 2026-10-01T16:30Z is already 2 October there.
    utimesSync(at('early.csv'), new Date('2026-10-01T15:30:00Z'), new Date('2026-10-01T15:30:00Z'));
    utimesSync(at('late.csv'), new Date('2026-10-01T16:30:00Z'), new Date('2026-10-01T16:30:00Z'));
    expect(await pollPartition({}, '2026-10-01')).toEqual(['early.csv']);
    expect(await pollPartition({}, '2026-10-02')).toEqual(['late.csv']);
  });
});

describe('drop folder files that cannot be read', () => {
  /** The drop folder's transport, with what it tells the run (`warn`) and the log only (`notice`). */
  function heard() {
    const said: string[] = [];
    const transport = dropFolderTransport.create(
      { directory: dir },
      {
        stagingDir: dir,
        env: {},
        warn: (message, code) => void said.push(`warn ${code}: ${message}`),
        notice: (message) => void said.push(`notice: ${message}`),
      },
    );
    return { transport, said };
  }

  it('a file gone with its marker before its turn is nothing to load: no unit, a notice, the others still come', async () => {
    for (const name of ['a.csv', 'b.csv', 'c.csv']) {
      writeFileSync(at(name), `x\n${name}\n`);
      writeFileSync(at(`${name}.ok`), '');
    }
    const { transport, said } = heard();
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) {
      // Files are opened one at a time, as the run gets to them: b.csv is taken back while a.csv is loading.
      if (unit.name === 'a.csv') for (const name of ['b.csv', 'b.csv.ok']) rmSync(at(name));
      units.push(unit);
    }
    expect(units.map((unit) => unit.name)).toEqual(['a.csv', 'c.csv']);
    expect(said).toEqual([expect.stringMatching(/^notice: b\.csv was removed from .* nothing to load$/)]);
  });

  it('a file gone while its marker stays is no unit either, but a warning; the marker stays where it is', async () => {
    for (const name of ['a.csv', 'b.csv']) {
      writeFileSync(at(name), `x\n${name}\n`);
      writeFileSync(at(`${name}.ok`), '');
    }
    const { transport, said } = heard();
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) {
      if (unit.name === 'a.csv') rmSync(at('b.csv'));
      units.push(unit);
    }
    expect(units.map((unit) => unit.name)).toEqual(['a.csv']);
    expect(said).toEqual([
      expect.stringMatching(
        /^warn file-vanished: b\.csv was removed .* its marker b\.csv\.ok is still there/,
      ),
    ]);
    await transport.close();
    expect(list()).toEqual(['a.csv', 'a.csv.ok', 'b.csv.ok']);
    expect(list('failed')).toEqual([]);
  });

  it('a file swapped for a link after the listing fails as unreadable: the link is not followed', async () => {
    for (const name of ['a.csv', 'b.csv']) {
      writeFileSync(at(name), `x\n${name}\n`);
      writeFileSync(at(`${name}.ok`), '');
    }
    mkdirSync(at('other'));
    writeFileSync(at('other', 'theirs.csv'), 'x\nnot this provider\n');
    const { transport } = heard();
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) {
      if (unit.name === 'a.csv') {
        rmSync(at('b.csv'));
        symlinkSync(at('other', 'theirs.csv'), at('b.csv'));
      }
      units.push(unit);
    }
    expect(units.map((unit) => unit.name)).toEqual(['a.csv', 'b.csv']);
    expect(units[1]?.sha256).toBeUndefined();
    await expect(units[1]?.rows?.()).rejects.toMatchObject({ code: 'file-unreadable' });
    await transport.close();
  });
});
