import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { decidedAMonthAgo } from './support/disclosed-today.ts';
import { passportHolderPenalty } from './support/passport-holder-penalty.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** Registered in the shipped config/providers.json. */
const PROVINCE = '11370000MB2852362M';
const JINAN = '11370100MB28174284';
/** A passport holder's 证件号码: no text masker knows it for a number, only its field does. */
const PASSPORT = 'E12345678';
const PASSPORT_MASKED = 'E1*****78';
/** The 处罚机关's USCC, a part of the key: never masked. */
const AUTHORITY = '11370100MB28174284';

const DECIDED = decidedAMonthAgo();

const passportRow = (facts: string): string[] =>
  passportHolderPenalty(
    {
      证件号码: PASSPORT,
      行政处罚决定书文号: '济市监罚〔2026〕777号',
      违法事实: facts,
      处罚决定日期: DECIDED,
      公示截止期: '2099-12-31',
    },
    { 处罚机关统一社会信用代码: AUTHORITY, 数据来源单位统一社会信用代码: AUTHORITY },
  );

describe('notice show: a conflict row’s business key', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fx = await openWarehouseFixture('notice_show_key');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    };
    const write = (name: string, facts: string) => {
      const file = path.join(fx.scratch, name);
      writeFileSync(file, toCsv(PENALTY_HEADER, [passportRow(facts)]));
      return file;
    };
    const first = await fx.ingest([write('province.csv', '经营超过保质期的食品。')], {
      provider: PROVINCE,
      level: 'province',
    });
    expect(first.counts.inserted, JSON.stringify(first)).toBe(1);
    const second = await fx.ingest([write('jinan.csv', '经营超过保质期的食品，货值较大。')], {
      provider: JINAN,
      level: 'city',
    });
    expect(second.counts.conflict, JSON.stringify(second)).toBe(1);
    const out = path.join(fx.scratch, 'notice.xlsx');
    const issued = await runCli(
      ['report', 'notice', '--provider', JINAN, '--run', String(second.runId), '--out', out],
      env,
    );
    expect(issued.code, issued.stderr).toBe(0);
  }, 600_000);
  afterAll(async () => fx?.close());

  it('is masked part by part in --json (a passport number as its field says), the USCC shown', async () => {
    const shown = await runCli(['notice', 'show', '1', '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toContain(PASSPORT);
    const notice = JSON.parse(shown.stdout) as { conflicts: { business_key: string | null }[] };
    expect(notice.conflicts.map((row) => row.business_key)).toEqual([
      `${AUTHORITY}|济市监罚〔2026〕777号||${PASSPORT_MASKED}`,
    ]);
    const human = await runCli(['notice', 'show', '1'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toContain(PASSPORT);
  });
});
