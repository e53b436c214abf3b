import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelPenalty } from '../../test/support/model-penalty.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { computeResidentIdCheckChar, maskResidentId } from '../identifiers/index.ts';
import { valueNormalizer } from '../normalize/normalize-value.ts';
import { compileValidator, type NormalizedRow } from './compile-validator.ts';

// A provider finds a quoted value in its own file (Ctrl+F): messages quote the cell as sent, not as normalized.
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
});

const TODAY = '2026-11-20';
const penalty = modelPenalty;
const person = (overrides: Record<string, string> = {}) =>
  penalty({ CF_XDR_LB: '自然人', CF_XDR_SHDM: '', CF_FRDB: '', CF_XDR_ZJLX: '身份证', ...overrides });

/** The errors of cells as sent, validated as the runner does: the normalized row, and the cells beside it. */
function errorsOf(cells: Record<string, string>, { withRaw = true } = {}) {
  const entry = catalog.resolve('xzcf', TODAY);
  const row: NormalizedRow = {};
  for (const [field, raw] of Object.entries(cells)) {
    const value = valueNormalizer(entry.schema.properties[field]!)(raw);
    if (value !== undefined) row[field] = value;
  }
  const validate = compileValidator(entry, { today: () => TODAY });
  return validate(row, withRaw ? (field) => cells[field] : undefined);
}
const messageOf = (cells: Record<string, string>, field: string) =>
  errorsOf(cells).find((error) => error.field === field)?.message;

// 17 digits of a real-looking ID whose check character is a digit, so an `x` typed as the 18th is wrong.
const ID_BODY = ['37160219680525241', '37160219680525242', '37160219680525243'].find(
  (body) => computeResidentIdCheckChar(body) !== 'X',
)!;

describe('messages quote the cell as the provider sent it', () => {
  it('a full-width USCC is quoted full-width', () => {
    const sent = '９１３７０１０２０００００５０１２３';
    const message = messageOf(penalty({ CF_XDR_SHDM: sent }), 'CF_XDR_SHDM');
    expect(message).toContain(`的值"${sent}"有误`);
    expect(message).not.toContain('913701020000050123');
  });
  it('an impossible date is quoted as typed, with its reading as a hint', () => {
    const message = messageOf(penalty({ CF_JDRQ: '2026年13月45日' }), 'CF_JDRQ');
    expect(message).toBe(
      '"处罚决定日期"的值"2026年13月45日"（读作 2026-13-45）不是有效日期，请填写真实存在的日期，格式如 2026-03-05',
    );
  });
  it('a date in the future is quoted as typed, with its reading', () => {
    const errors = errorsOf(penalty({ CF_JDRQ: '2027年1月5日', CF_YXQ: '2028-01-05' }));
    const future = errors.find((error) => error.code === 'date-in-future');
    expect(future?.message).toContain('的值"2027年1月5日"（读作 2027-01-05）晚于今天');
    expect(future?.value).toBe('2027-01-05'); // the error's value stays normalized: the runner sets the raw one
  });
  it('a date before its reference quotes both dates as typed', () => {
    const message = messageOf(penalty({ CF_JDRQ: '2026年10月12日', CF_YXQ: '2026/9/1' }), 'CF_YXQ');
    expect(message).toContain('的值"2026/9/1"（读作 2026-09-01）早于');
    expect(message).toContain('（2026年10月12日，读作 2026-10-12）');
  });
  it('a resident ID check character typed lower-case is quoted as typed', () => {
    // A personal field's value is masked where the message leaves the platform (reports mask the row's own values).
    const sent = `${ID_BODY}x`;
    const message = messageOf(person({ CF_XDR_ZJHM: sent }), 'CF_XDR_ZJHM');
    expect(message).toContain(`的值"${sent}"有误`);
    expect(message).toContain('实际为"x"');
    expect(message).not.toContain('实际为"X"');
  });
  it('a full-width resident ID in a USCC column is masked as sent', () => {
    const sent = `${ID_BODY}${computeResidentIdCheckChar(ID_BODY)}`.replace(/[0-9]/g, (d) =>
      String.fromCharCode(d.charCodeAt(0) + 0xfee0),
    );
    const message = messageOf(penalty({ CF_XDR_SHDM: sent }), 'CF_XDR_SHDM');
    expect(message).toContain(`的值"${maskResidentId(sent)}"有误`);
    expect(message).not.toContain(ID_BODY);
    expect(message).not.toContain(sent);
  });
  it('a formula is quoted as typed, not upper-cased', () => {
    const sent = '=HYPERLINK("http://x","a")';
    const message = messageOf(penalty({ CF_XDR_SHDM: sent }), 'CF_XDR_SHDM');
    expect(message).toContain(`的值"${sent}"`);
    expect(message).not.toContain('HTTP://X');
  });
  it('a code of the wrong subject type is quoted as typed', () => {
    const sent = ' ９２３４０６０２ＭＡ２ＰＢＭＥＭ２４ ';
    const message = messageOf(penalty({ CF_XDR_SHDM: sent }), 'CF_XDR_SHDM');
    expect(message).toContain(`的值"${sent.trim()}"与"行政相对人类别"`);
  });
  it('a value that must be cleared is quoted as typed', () => {
    const sent = '９１３７０１１２ＭＡ９Ａ３７３６６Ｅ';
    const message = messageOf(
      person({ CF_XDR_ZJHM: '37160219680525249X', CF_XDR_SHDM: sent }),
      'CF_XDR_SHDM',
    );
    expect(message).toContain(`（本行填写了"${sent}"）`);
  });
  it('a value not in the code list is quoted as typed', () => {
    const message = messageOf(penalty({ CF_CFLB: ' 罚　金 ' }), 'CF_CFLB');
    expect(message).toContain('的值"罚　金"不在代码表中');
  });
  it('without the cells (a caller with the normalized row only) the normalized value is quoted', () => {
    const errors = errorsOf(penalty({ CF_JDRQ: '2026年13月45日' }), { withRaw: false });
    expect(errors.find((error) => error.field === 'CF_JDRQ')?.message).toContain(
      '的值"2026-13-45"不是有效日期',
    );
  });
});
