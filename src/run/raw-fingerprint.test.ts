import path from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvFormat } from '../../connectors/formats/csv-format.ts';
import { openSkimmedCsv, SkimDeclined } from '../../connectors/formats/csv-skim.ts';
import { readAll } from '../../connectors/formats/read-all.test-support.ts';
import { trickyCsvFiles } from '../../connectors/formats/tricky-csv.test-support.ts';
import { timelinessChecker } from '../calendar/timeliness.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { type FingerprintCache, NO_FORMATION } from '../warehouse/fingerprint-cache-repository.ts';
import { FastRedelivery } from './fast-redelivery.ts';
import { type Fingerprint, fingerprintText, rawFingerprinter } from './raw-fingerprint.ts';

let xzcf: CatalogEntry;
let zyzg: CatalogEntry;
beforeAll(async () => {
  const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  xzcf = catalog.resolve('xzcf', '2026-11-20');
  zyzg = catalog.resolve('zyzg', '2026-11-20');
});

describe('raw-cell fingerprints', () => {
  it('do not depend on the order of the columns', () => {
    const forward = rawFingerprinter(xzcf, undefined, ['A', 'B', 'C']);
    const backward = rawFingerprinter(xzcf, undefined, ['C', 'B', 'A']);
    expect(backward.shape).toBe(forward.shape);
    expect(backward.of(['3', '2', '1'])).toEqual(forward.of(['1', '2', '3']));
  });

  it('tell apart cells that join to the same text, and rows of different lengths', () => {
    const fingerprinter = rawFingerprinter(xzcf, undefined, ['A', 'B']);
    const of = (cells: string[]) => fingerprintText(fingerprinter.of(cells));
    expect(of(['ab', 'c'])).not.toBe(of(['a', 'bc']));
    expect(of(['a\u00011:b', ''])).not.toBe(of(['a', 'b']));
    expect(of(['a', 'b', ''])).not.toBe(of(['a', 'b']));
    expect(of(['a', 'b'])).toBe(of(['a', 'b']));
  });

  it('compare only within one shape: the entry, the validator options and the set of columns', () => {
    const shape = (entry: CatalogEntry, columns: string[], options = {}) =>
      rawFingerprinter(entry, options, columns).shape;
    const base = shape(xzcf, ['A', 'B']);
    expect(shape(zyzg, ['A', 'B'])).not.toBe(base);
    expect(shape(xzcf, ['A', 'B', 'C'])).not.toBe(base);
    expect(shape(xzcf, ['A', 'B'], { allowPilotCodes: true })).not.toBe(base);
  });

  it("are the same from a skimmed record's bytes as from the parser's cells: Chinese, emoji, quotes, empty cells", async () => {
    const bytes = Buffer.from(
      '代码,名称,说明\r\n1,甲公司,"他说""好"""\r\n2,😀𠀀é,\r\n3,"a,b","x\r\ny"\r\n4,,""\r\n',
    );
    const parsed = await readAll(csvFormat, bytes, { encoding: 'utf8' });
    // The header reordered: the fingerprints follow the names, not the positions.
    const fingerprinter = rawFingerprinter(xzcf, undefined, parsed.header);
    const fromBytes = new Map<number, string>();
    const skimmed = await openSkimmedCsv(Readable.from([bytes]), { encoding: 'utf8' }, 3, {
      take(record) {
        fromBytes.set(record.rowNumber, fingerprintText(fingerprinter.ofRecord(record)));
        return true;
      },
    });
    for await (const _batch of skimmed.rows.batches);
    const fromCells = new Map(
      parsed.rows.map((row) => [row.rowNumber, fingerprintText(fingerprinter.of(row.cells))]),
    );
    expect(fromBytes.size).toBe(4);
    expect(fromBytes).toEqual(fromCells);
    expect(new Set(fromBytes.values()).size).toBe(4);
  });

  it('are the same from the bytes as from the cells on 1,200 generated files of tricky bytes', async () => {
    let compared = 0;
    // 1,200: the skim leaves records without a visible ASCII character to the parser (1,000 files gave 1,758).
    for (const bytes of trickyCsvFiles(29, 1200)) {
      const parsed = await readAll(csvFormat, bytes, { encoding: 'utf8' }).catch(() => undefined);
      if (!parsed) continue;
      const fingerprinter = rawFingerprinter(xzcf, undefined, parsed.header);
      const fromBytes = new Map<number, string>();
      try {
        const skimmed = await openSkimmedCsv(
          Readable.from([bytes]),
          { encoding: 'utf8' },
          parsed.header.length,
          {
            take(record) {
              fromBytes.set(record.rowNumber, fingerprintText(fingerprinter.ofRecord(record)));
              return true;
            },
          },
        );
        for await (const _batch of skimmed.rows.batches);
      } catch (error) {
        if (error instanceof SkimDeclined) continue;
        throw error;
      }
      for (const [rowNumber, fingerprint] of fromBytes) {
        const row = parsed.rows.find((candidate) => candidate.rowNumber === rowNumber)!;
        expect(fingerprint, JSON.stringify(bytes.toString('latin1'))).toBe(
          fingerprintText(fingerprinter.of(row.cells)),
        );
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
  });

  it('hash a lone surrogate as U+FFFD, as a UTF-8 encoder writes it', () => {
    const fingerprinter = rawFingerprinter(xzcf, undefined, ['A']);
    expect(fingerprinter.of(['a\ud800b'])).toEqual(fingerprinter.of(['a\ufffdb']));
    expect(fingerprinter.of(['a\ud83d\ude00'])).not.toEqual(fingerprinter.of(['a\ufffd\ufffd']));
  });

  it('are stored as the signed 64-bit value of their halves', () => {
    expect(fingerprintText({ hi: 0, lo: 1 })).toBe('1');
    expect(fingerprintText({ hi: 0xffffffff, lo: 0xffffffff })).toBe('-1');
    expect(fingerprintText({ hi: 0x80000000, lo: 0 })).toBe('-9223372036854775808');
  });
});

describe('the fast path takes a standing row once, and only with its timeliness decided', () => {
  const cacheOf = (entries: { fingerprint: Fingerprint; recordId: number; formation?: string }[]) => {
    const cache: FingerprintCache = {
      channelId: 1,
      standing: entries.length,
      hi: Uint32Array.from(entries.map((e) => e.fingerprint.hi)),
      lo: Uint32Array.from(entries.map((e) => e.fingerprint.lo)),
      recordIds: Float64Array.from(entries.map((e) => e.recordId)),
      formationDays: Int32Array.from(
        entries.map((e) =>
          e.formation ? Date.parse(`${e.formation}T00:00:00Z`) / 86_400_000 : NO_FORMATION,
        ),
      ),
    };
    return cache;
  };
  // Colliding low halves: the open-addressing table must still tell them apart by the high half.
  const a = { hi: 1, lo: 7 };
  const b = { hi: 2, lo: 7 };
  const unknown = { hi: 3, lo: 7 };

  it('recognises known fingerprints, each once; an unknown one is left to the full path', () => {
    const fast = new FastRedelivery(
      cacheOf([
        { fingerprint: a, recordId: 10, formation: '2026-11-02' },
        { fingerprint: b, recordId: 11 },
      ]),
      '2026-11-30',
      timelinessChecker(),
    );
    expect(fast.take(unknown, 2)).toBe(false);
    expect(fast.take(a, 3)).toBe(true);
    expect(fast.take(a, 4)).toBe(false);
    expect(fast.take(b, 5)).toBe(true);
    expect(fast.rows).toBe(2);
    // 2026-11-02 → 2026-11-30 is more than 7 working days; no formation date is never late.
    expect(fast.lateRows).toBe(1);
  });

  it('leaves a row whose timeliness waits for calendar data to the full path', () => {
    // Its 8th working day falls in 2027, which the calendar lacks (one formed earlier in 2026 is late already).
    const fast = new FastRedelivery(
      cacheOf([{ fingerprint: a, recordId: 10, formation: '2026-12-28' }]),
      '2099-01-05',
      timelinessChecker(),
    );
    expect(fast.take(a, 2)).toBe(false);
    expect(fast.rows).toBe(0);
  });
});
