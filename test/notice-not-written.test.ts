import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writeNoticeXlsx } from '../src/report/notice-workbook.ts';
import { issueNotice, type NoticeRequest } from '../src/report/notices.ts';
import { loadProviders } from '../src/report/providers.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';
const CITY = '11370100MB28174284';

// issueNotice records a notice and writes its workbook in one transaction: a workbook that fails half-way
// (a full disk, say) leaves no notice, no event, and no number used, as one whose folder cannot be made does
// (test/notice-log.test.ts, through the CLI).
describe('a review notice whose workbook cannot be written records nothing', () => {
  let fx: WarehouseFixture;
  const runs: Record<string, number> = {};

  beforeAll(async () => {
    fx = await openWarehouseFixture('notice_not_written');
    for (const [provider, seed] of [
      [PROVINCE, 31],
      [CITY, 32],
    ] as const) {
      const file = path.join(fx.scratch, `${seed}.csv`);
      writeFileSync(file, toCsv(PENALTY_HEADER, generatePenalties(6, { badShare: 0.5, seed }).rows));
      const run = await fx.ingest([file], { provider, level: provider === CITY ? 'city' : 'province' });
      expect(run.counts.rejected).toBeGreaterThan(0);
      runs[provider] = run.runId;
    }
  }, 300_000);
  afterAll(async () => fx?.close());

  const request = (provider: string, more: Partial<NoticeRequest> = {}): NoticeRequest => ({
    providerCode: provider,
    scope: { kind: 'run', runId: runs[provider]! },
    issuedOn: '2026-03-02',
    ...more,
  });
  const count = async (table: string) =>
    Number((await fx.owner(table).count<{ count: string }[]>('* as count'))[0]!.count);
  const eventKinds = async (noticeId: number) =>
    (await fx.owner('notice_events').where({ notice_id: noticeId }).orderBy('id').select('kind')).map(
      (event: { kind: string }) => event.kind,
    );

  it('a write failing half-way: no notice, no row, no event; the next notice takes the same number', async () => {
    const providers = await loadProviders();
    const failing = issueNotice(fx.warehouse, fx.catalog, request(PROVINCE), async (trx, notice) => {
      expect(notice.id).toBe(1);
      // The notice is there in its transaction: its workbook is written, then the disk fills up.
      await writeNoticeXlsx(trx, fx.catalog, providers, notice.id, path.join(fx.scratch, 'half.xlsx'));
      throw new Error('ENOSPC: no space left on device');
    });
    await expect(failing).rejects.toThrow('ENOSPC');
    expect(await count('notices')).toBe(0);
    expect(await count('notice_rows')).toBe(0);
    expect(await count('notice_events')).toBe(0);

    const notice = await issueNotice(fx.warehouse, fx.catalog, request(PROVINCE), async () => {});
    expect(notice.id).toBe(1);
    expect(await eventKinds(1)).toEqual(['issued']);
  });

  it('a re-send whose workbook fails logs no `resent`', async () => {
    const failing = issueNotice(
      fx.warehouse,
      fx.catalog,
      request(PROVINCE, { reissue: true }),
      async (_trx, notice) => {
        expect(notice).toMatchObject({ id: 1, reissued: true });
        throw new Error('EIO: i/o error, write');
      },
    );
    await expect(failing).rejects.toThrow('EIO');
    expect(await eventKinds(1)).toEqual(['issued']);
    const resent = await issueNotice(
      fx.warehouse,
      fx.catalog,
      request(PROVINCE, { reissue: true }),
      async () => {},
    );
    expect(resent).toMatchObject({ id: 1, reissued: true });
    expect(await eventKinds(1)).toEqual(['issued', 'resent']);
  });

  it('two providers issuing at once, one failing: the other gets the next number, then the failed one the one after', async () => {
    // The city's notice waits for the number while the province's holds it (number 2), then fails: 2 is left unused.
    const other = await fx.ingest(
      [
        (() => {
          const file = path.join(fx.scratch, '33.csv');
          writeFileSync(file, toCsv(PENALTY_HEADER, generatePenalties(6, { badShare: 0.5, seed: 33 }).rows));
          return file;
        })(),
      ],
      { provider: PROVINCE },
    );
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding!: (id: number) => void;
    const numbered = new Promise<number>((resolve) => {
      holding = resolve;
    });
    const failing = issueNotice(
      fx.warehouse,
      fx.catalog,
      { ...request(PROVINCE), scope: { kind: 'run', runId: other.runId } },
      async (_trx, notice) => {
        holding(notice.id);
        await held;
        throw new Error('EROFS: read-only file system');
      },
    );
    failing.catch(() => {});
    expect(await numbered).toBe(2);
    const waiting = issueNotice(fx.warehouse, fx.catalog, request(CITY), async () => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await expect(failing).rejects.toThrow('EROFS');
    expect((await waiting).id).toBe(2);
    const again = await issueNotice(
      fx.warehouse,
      fx.catalog,
      { ...request(PROVINCE), scope: { kind: 'run', runId: other.runId } },
      async () => {},
    );
    expect(again.id).toBe(3);
    expect(
      (await fx.owner('notices').orderBy('id').select('id')).map((row: { id: string }) => Number(row.id)),
    ).toEqual([1, 2, 3]);
  });

  it('two issuers at once, both written: consecutive numbers, neither fails', async () => {
    const everything = (provider: string): NoticeRequest => ({
      providerCode: provider,
      scope: { kind: 'provider', providerCode: provider, from: '2000-01-01', to: '2099-12-31' },
      issuedOn: '2026-03-02',
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding!: (id: number) => void;
    const numbered = new Promise<number>((resolve) => {
      holding = resolve;
    });
    const first = issueNotice(fx.warehouse, fx.catalog, everything(PROVINCE), async (_trx, notice) => {
      holding(notice.id);
      await held;
    });
    expect(await numbered).toBe(4);
    const second = issueNotice(fx.warehouse, fx.catalog, everything(CITY), async () => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect((await first).id).toBe(4);
    expect((await second).id).toBe(5);
  });
});
