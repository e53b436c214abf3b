import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelPenalty } from '../../test/support/model-penalty.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { compileValidator, type NormalizedRow } from './compile-validator.ts';

// A decision (formation) date the catalog marks x-notFuture may not be after the day the platform received the row:
// a back-dated --received-at (a backfill) is no way round it. Today stays the limit where no received day is known.
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
});

const TODAY = '2026-11-20';

describe('x-notFuture against the day the platform received the row', () => {
  const validatorOf = (code: string) =>
    compileValidator(catalog.resolve(code, TODAY), { today: () => TODAY });
  const futureErrors = (errors: ReturnType<ReturnType<typeof compileValidator>>) =>
    errors.filter((error) => error.code === 'date-in-future');

  for (const fastPath of [true, false]) {
    it(`a decision date after the received day is date-in-future, naming field, value and that day (fast path ${fastPath})`, () => {
      const validate = compileValidator(catalog.resolve('xzcf', TODAY), { today: () => TODAY }, { fastPath });
      const row = modelPenalty({ CF_JDRQ: '2026-10-12' }) as NormalizedRow;
      const errors = futureErrors(validate(row, (field) => row[field] as string, '2026-10-01'));
      expect(errors).toEqual([
        {
          field: 'CF_JDRQ',
          code: 'date-in-future',
          message:
            '"处罚决定日期"的值"2026-10-12"晚于平台接收该数据的日期 2026-10-01：决定/形成日期不能晚于报送日期，请核对日期',
          value: '2026-10-12',
        },
      ]);
      // The received day itself and any day before it are fine; so is the same row received on a later day.
      expect(
        validate(modelPenalty({ CF_JDRQ: '2026-10-01' }) as NormalizedRow, undefined, '2026-10-01'),
      ).toEqual([]);
      expect(validate(row, undefined, '2026-10-12')).toEqual([]);
      // Rows of one validator alternate received days (rows with their own received time): each is its own.
      expect(futureErrors(validate(row, undefined, '2026-10-11'))).toHaveLength(1);
      expect(validate(row, undefined, '2026-10-13')).toEqual([]);
    });
  }

  it('without a received day, or with one after today (a clock ahead), the limit is today', () => {
    const validate = validatorOf('xzcf');
    const row = modelPenalty({ CF_JDRQ: '2026-11-21' }) as NormalizedRow;
    for (const receivedDay of [undefined, '2026-11-25']) {
      const [error] = futureErrors(validate(row, undefined, receivedDay));
      expect(error?.message).toBe(
        '"处罚决定日期"的值"2026-11-21"晚于今天 2026-11-20，决定/形成日期不能是将来的日期',
      );
    }
    expect(validate(modelPenalty({ CF_JDRQ: '2026-11-20' }) as NormalizedRow)).toEqual([]);
  });

  it('every x-notFuture field of an entry is held to the received day (成立日期 and 核准日期 of 登记注册)', () => {
    const validate = validatorOf('frdj');
    const errors = validate(
      {
        DJ_CLRQ: '2026-10-05',
        DJ_HZRQ: '2026-10-05',
      },
      undefined,
      '2026-10-01',
    );
    expect(futureErrors(errors).map((error) => [error.field, error.message])).toEqual([
      [
        'DJ_CLRQ',
        '"成立日期"的值"2026-10-05"晚于平台接收该数据的日期 2026-10-01：决定/形成日期不能晚于报送日期，请核对日期',
      ],
      [
        'DJ_HZRQ',
        '"核准日期"的值"2026-10-05"晚于平台接收该数据的日期 2026-10-01：决定/形成日期不能晚于报送日期，请核对日期',
      ],
    ]);
  });
});
