import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { checkResidentId } from '../src/identifiers/resident-id.ts';
import { checkUscc } from '../src/identifiers/uscc.ts';
import { searchRecords } from '../src/records/record-search.ts';
import { disclosureReportArgs } from './support/disclosed-today.ts';
import { outputsCli } from './support/fixture-cli.ts';
import { leaksIn, openPersonWithId } from './support/two-ids.ts';
import type { WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * A natural person's own resident ID that is also a valid USCC (about 1 in 400 IDs passes the USCC check digit):
 * free-text masking shows a valid USCC, so where 违法事实 or an objection's claim quoted the person's number it came
 * out in clear. The row's own personal values are masked wherever the row shows them; any other USCC still shows.
 */

/** Valid as a resident ID (born 1985-03-07) and as a USCC (category 1, 机关). */
const DUAL = '110101198503071729';
const SHOWN = '1101**********1729';
/** The authority and a company quoted in the same free text: USCCs, never masked. */
const AUTHORITY = makeUscc('11', '370100', 10_001);
const COMPANY = makeUscc('91', '370102', 4_401);

const toFullWidth = (text: string) =>
  text.replace(/[0-9X]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
const spaced = (id: string) => `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`;
/** The forms the ID was fed in. */
const FORMS = [DUAL, toFullWidth(DUAL), spaced(DUAL)];

async function xlsxText(file: string): Promise<string> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  let text = '';
  try {
    for await (const entry of zip.eachEntry()) {
      for await (const chunk of (await zip.openReadStreamPromise(entry)) as AsyncIterable<Buffer>) {
        text += chunk.toString('utf8');
      }
      text += '\n';
    }
  } finally {
    zip.close();
  }
  return text;
}

describe("a natural person's own ID that is also a valid USCC is masked in every output", () => {
  let fx: WarehouseFixture;
  const { outputs, cli } = outputsCli(() => fx);

  beforeAll(async () => {
    let recordId: number;
    ({ fx, recordId } = await openPersonWithId('mask_own_id', '钱七', DUAL, {
      行政处罚决定书文号: '济市监罚〔2026〕1729号',
      违法事实: `当事人钱七（公民身份号码${DUAL}）销售过期食品；经营场所登记于${COMPANY}名下`,
      备注: `身份证 ${spaced(DUAL)}；全角${toFullWidth(DUAL)}；处罚机关代码${AUTHORITY}`,
    }));
    const id = String(recordId);
    for (const extension of ['json', 'csv', 'xlsx']) {
      const out = path.join(fx.scratch, `disclosure.${extension}`);
      await cli(`report disclosure ${extension}`, ...disclosureReportArgs(out));
      outputs.set(
        `disclosure.${extension}`,
        extension === 'xlsx' ? await xlsxText(out) : readFileSync(out, 'utf8'),
      );
    }
    await cli('record', 'record', id);
    await cli('record --json', 'record', id, '--json');
    await cli('subject', 'subject', DUAL);
    await cli('subject --json', 'subject', DUAL, '--json');
    await cli(
      'objection open',
      'objection',
      'open',
      id,
      '--applicant',
      `钱七 身份证${DUAL}`,
      '--reason',
      `公民身份号码${toFullWidth(DUAL)}的处罚不属于本人，${COMPANY}与本人无关`,
      '--operator',
      '王科员',
      '--json',
    );
    await cli('objection list', 'objection', 'list');
    await cli('objection list --json', 'objection', 'list', '--json');
    await cli('objection show', 'objection', 'show', '1');
    await cli('objection show --json', 'objection', 'show', '1', '--json');
    const notice = path.join(fx.scratch, 'verification.xlsx');
    await cli('objection notify', 'objection', 'notify', '1', '--out', notice, '--operator', '王科员');
    outputs.set('verification.xlsx', await xlsxText(notice));
    outputs.set('log file', readFileSync(path.join(fx.scratch, 'cli.log'), 'utf8'));
  }, 600_000);
  afterAll(async () => fx?.close());

  it('is a valid resident ID and a valid USCC (the premise)', () => {
    expect(checkResidentId(DUAL)).toBeNull();
    expect(checkUscc(DUAL)).toBeNull();
  });

  it("shows the person's ID nowhere in clear, in any form it was fed in", () => {
    expect(outputs.size).toBe(18);
    expect(leaksIn(outputs, FORMS)).toEqual([]);
  });

  it('shows it masked where it was quoted: 违法事实, the objection and the report', () => {
    for (const label of [
      'disclosure.json',
      'disclosure.csv',
      'disclosure.xlsx',
      'record --json',
      'subject --json',
    ]) {
      expect(outputs.get(label), label).toContain(`公民身份号码${SHOWN}）`);
    }
    expect(outputs.get('record')).toContain(`身份证 1101** ******** 1729`);
    for (const label of [
      'objection open',
      'objection list',
      'objection list --json',
      'objection show',
      'objection show --json',
    ]) {
      expect(outputs.get(label), label).toContain(`钱七 身份证${SHOWN}`);
    }
    expect(outputs.get('objection show')).toContain(`公民身份号码${toFullWidth(SHOWN)}的处罚不属于本人`);
    expect(outputs.get('verification.xlsx')).toContain(`钱七 身份证${SHOWN}`);
  });

  it("the console's search names the person's archive by record, never by the number", async () => {
    const found = await searchRecords(fx.warehouse, fx.catalog, ` ${DUAL} `);
    expect(found.matchedAs).toBe('subject');
    expect(found.typed).toBe(SHOWN);
    expect(found.records).toMatchObject([{ subjectCode: SHOWN, subjectRef: `r${found.records[0]?.id}` }]);
    expect(found.records[0]?.key).not.toContain(DUAL);
  });

  it('still shows every other USCC in clear, in the same texts', () => {
    for (const label of [
      'disclosure.json',
      'disclosure.csv',
      'disclosure.xlsx',
      'record',
      'record --json',
      'subject --json',
    ]) {
      expect(outputs.get(label), label).toContain(COMPANY);
      expect(outputs.get(label), label).toContain(AUTHORITY);
    }
    for (const label of [
      'objection open',
      'objection list --json',
      'objection show',
      'objection show --json',
      'verification.xlsx',
    ]) {
      expect(outputs.get(label), label).toContain(COMPANY);
    }
  });
});
