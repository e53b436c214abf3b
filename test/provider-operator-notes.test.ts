import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { hashPassword } from '../src/console/password-hash.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import { runCli } from './support/run-cli.ts';

/**
 * The operators' remarks at the end of a stored message (`--encoding`, `--delimiter`, CREDIT_ETL_…) are left off
 * wherever a provider reads it — the direct-report page, the rejection report it downloads there, the review notice
 * sent to it — and kept in the operators' own outputs (`report rejections` from the CLI, the stored message).
 * Real HTTP against the console and the CLI as a child process, on real PostgreSQL.
 */

/** 济南市 (config/providers.json: city, expects xzcf). */
const JINAN = '11370100MB28174284';
const PASSWORD = 'jinan-notes-password-1';
/** What the provider does about undecodable bytes: in every output. */
const SAVE_AGAIN = '请将文件另存为 UTF-8 或 GB18030 编码后重新报送';
/** An option or a setting of the platform, or a remark addressed to its operators. */
const OPERATORS_ONLY = /--[a-z]|CREDIT_ETL_|运维人员可用/;

let cx: ConsoleFixture;
let env: NodeJS.ProcessEnv;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  cx = await openConsoleFixture('provider_operator_notes', { browser: false });
  await addConsoleUser(cx.fx.warehouse, {
    name: 'jinan-notes',
    role: 'provider',
    providerCode: JINAN,
    passwordHash: await hashPassword(PASSWORD),
  });
  env = {
    DATABASE_URL: cx.fx.url,
    CREDIT_ETL_LOG_FILE: path.join(cx.fx.scratch, 'credit-etl.log'),
    CREDIT_ETL_REPORT_DIR: path.join(cx.fx.scratch, 'reports'),
  };
  const login = await fetch(`${cx.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'jinan-notes', password: PASSWORD }),
  });
  expect(login.status).toBe(303);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(csrf, page).toBeTruthy();
  session = { cookie, csrf: csrf! };
}, 180_000);
afterAll(async () => cx?.close());

async function upload(name: string, content: Buffer<ArrayBuffer>): Promise<string> {
  const form = new FormData();
  form.set('catalog', 'xzcf');
  form.set('file', new Blob([content], { type: 'text/csv' }), name);
  const response = await fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie },
    body: form,
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** Every cell's text and every cell note of a workbook, one per line. */
async function workbookTexts(bytes: Buffer | ArrayBuffer): Promise<string> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(bytes as ArrayBuffer);
  const texts: string[] = [];
  for (const sheet of book.worksheets) {
    sheet.eachRow((row) => {
      row.eachCell((cell) => {
        // Text is written as inline strings, read back as rich text: `cell.text` joins its runs.
        texts.push(cell.text);
        const note = cell.note as string | { texts?: { text: string }[] } | undefined;
        if (typeof note === 'string') texts.push(note);
        else if (note?.texts) texts.push(note.texts.map((part) => part.text).join(''));
      });
    });
  }
  return texts.join('\n');
}

/** Four rows, the third line's 行政相对人名称 in GBK bytes in an otherwise UTF-8 file. */
function undecodableDelivery(): Buffer<ArrayBuffer> {
  const rows = penaltyRows(4, 'NOTES');
  rows[1]![0] = 'GBKNAME';
  const content = Buffer.from(toCsv(PENALTY_HEADER, rows), 'utf8');
  const at = content.indexOf('GBKNAME');
  return Buffer.concat([
    content.subarray(0, at),
    Buffer.from([0xc4, 0xe3, 0xba, 0xc3]),
    content.subarray(at + 'GBKNAME'.length),
  ]);
}

describe("a row's undecodable bytes", () => {
  let runId: number;

  beforeAll(async () => {
    const page = await upload('notes-encoding.csv', undecodableDelivery());
    expect(page).toContain('data-count="rejected">1<');
    runId = Number(/\/direct-report\/runs\/(\d+)\/rejections\.csv/.exec(page)?.[1]);
    expect(runId).toBeGreaterThan(0);
  }, 120_000);

  it('the reports the provider downloads from the page say what to do, no --encoding', async () => {
    const csv = await fetch(`${cx.baseUrl}/direct-report/runs/${runId}/rejections.csv`, {
      headers: { cookie: session.cookie },
    });
    expect(csv.status).toBe(200);
    const csvText = await csv.text();
    expect(csvText).toContain('undecodable-bytes');
    expect(csvText).toContain(SAVE_AGAIN);
    expect(csvText).not.toMatch(OPERATORS_ONLY);

    const xlsx = await fetch(`${cx.baseUrl}/direct-report/runs/${runId}/rejections.xlsx`, {
      headers: { cookie: session.cookie },
    });
    expect(xlsx.status).toBe(200);
    const xlsxText = await workbookTexts(await xlsx.arrayBuffer());
    // The summary's example message and the bad row's cell note.
    expect(xlsxText.split(SAVE_AGAIN).length - 1).toBe(2);
    expect(xlsxText).not.toMatch(OPERATORS_ONLY);
  });

  it('the review notice sent to the provider says what to do, no --encoding; the CLI report keeps it', async () => {
    const noticeFile = path.join(cx.fx.scratch, 'notes-notice.xlsx');
    const issued = await runCli(
      ['report', 'notice', '--provider', JINAN, '--run', String(runId), '--out', noticeFile],
      env,
    );
    expect(issued.code, issued.stderr).toBe(0);
    const notice = await workbookTexts(readFileSync(noticeFile));
    // 问题清单's 问题说明 and the re-upload template's note on the row.
    expect(notice.split(SAVE_AGAIN).length - 1).toBe(2);
    expect(notice).not.toMatch(OPERATORS_ONLY);

    const reportFile = path.join(cx.fx.scratch, 'notes-rejections.csv');
    const report = await runCli(['report', 'rejections', '--run', String(runId), '--out', reportFile], env);
    expect(report.code, report.stderr).toBe(0);
    const operators = readFileSync(reportFile, 'utf8');
    expect(operators).toContain(`${SAVE_AGAIN}（平台自动识别的编码有误时，运维人员可用 --encoding`);
  }, 120_000);
});

describe('a file of a row with too many cells (a wrong delimiter)', () => {
  it('the page says to check the delimiter, names no --delimiter nor CREDIT_ETL_; the stored message keeps them', async () => {
    const rows = penaltyRows(3, 'WIDE');
    // The second row's 违法事实 split at every 、 the export took for a separator: 1,200 cells.
    const wide = [...rows[1]!, ...Array.from({ length: 1200 }, (_, i) => `事实${i}`)];
    const content = `${toCsv(PENALTY_HEADER, [rows[0]!])}${wide.join(',')}\r\n`;
    const page = await upload('notes-wide.csv', Buffer.from(content, 'utf8'));
    expect(page).toContain('data-file-status="failed"');
    expect(page).toContain('超过每行上限 1000 个，整个文件未入库：请检查分隔符是否正确、该行引号是否闭合');
    // The page's own style sheet has custom properties (--…): the remarks are looked for by what they name.
    for (const remark of ['--delimiter', 'CREDIT_ETL_', '运维人员可用']) expect(page).not.toContain(remark);
    const [stored] = await cx.fx
      .warehouse('source_files')
      .where({ name: 'notes-wide.csv' })
      .select<{ error_code: string; error: string }[]>('error_code', 'error');
    expect(stored?.error_code).toBe('too-many-cells');
    expect(stored?.error).toContain('运维人员可用 --delimiter');
    expect(stored?.error).toContain('CREDIT_ETL_MAX_CELLS_PER_ROW');
  }, 120_000);
});

describe('a file whose header is under title rows', () => {
  it('the page says to remove the title rows, names no --header-row nor headerRow; the stored message keeps them', async () => {
    const titled = `2026年行政处罚信息公示\r\n报送单位：济南市市场监督管理局\r\n${toCsv(PENALTY_HEADER, penaltyRows(3, 'TITLED'))}`;
    const page = await upload('notes-titled.csv', Buffer.from(titled, 'utf8'));
    expect(page).toContain('data-file-status="failed"');
    expect(page).toContain(
      '第3行与目录的表头相符：若其上方是标题行，请删除这些标题行，使列名位于第1行后重新报送',
    );
    for (const remark of ['--header-row', 'headerRow', '运维人员']) expect(page).not.toContain(remark);
    const [stored] = await cx.fx
      .warehouse('source_files')
      .where({ name: 'notes-titled.csv' })
      .select<{ error_code: string; error: string }[]>('error_code', 'error');
    expect(stored?.error).toContain('（运维人员可加 --header-row 3 重新读取，或在管道配置 headerRow: 3）');
  }, 120_000);
});
