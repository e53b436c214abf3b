import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { findRecords } from '../src/records/record-history.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { runCli } from './support/run-cli.ts';
import { fixturePath } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';
const RIGHT_SUBJECT = '91370102000005020W'; // the subject of 济市监罚〔2026〕102号 in the fixture
const GROUNDS = ['--basis', '鲁信用办函〔2026〕56号', '--operator', '张科员'];

/**
 * Art. 18 ¶2: a record under objection is labelled wherever it is shown. A `reattribute` or `supersede` of such a
 * record shows the same penalty under its successor: the successor carries the mark (saying which record the
 * objection is on) in `record`, `subject`, `report disclosure` and the console, its disclosure label says so too,
 * and the procedure warns. And `supersede` takes only the same information (056, test/supersede-same-information.test.ts):
 * not another subject's penalty with another decision number, by `procedure supersede` or by `objection close
 * --superseded-by`.
 */
describe('an objection follows the record that replaced its record', { timeout: 300_000 }, () => {
  let cx: ConsoleFixture;
  const today = todayInShanghai();
  const env = () => ({
    DATABASE_URL: cx.fx.url,
    CREDIT_ETL_LOG_FILE: path.join(cx.fx.scratch, 'cli.log'),
    CREDIT_ETL_REPORT_DIR: path.join(cx.fx.scratch, 'reports'),
  });
  const cli = (args: string[]) => runCli(args, env());
  const idOf = async (decision: string) => {
    const found = (await findRecords(cx.fx.warehouse, decision)).filter((r) => r.status === 'current');
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };
  const openObjection = async (recordId: number) => {
    const opened = await cli([
      'objection',
      'open',
      String(recordId),
      '--applicant',
      '济南示例餐饮有限公司',
      '--reason',
      '罚款金额有误',
      '--operator',
      '张科员',
      '--json',
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    return JSON.parse(opened.stdout).id as number;
  };

  beforeAll(async () => {
    cx = await openConsoleFixture('objection_follows_supersede', { browser: false });
    const loaded = await cli([
      'ingest',
      fixturePath('xzcf', 'utf8-bom', 'input.csv'),
      '--catalog',
      'xzcf',
      '--provider',
      PROVINCE,
    ]);
    expect(loaded.code, loaded.stderr).toBe(0);
  });
  afterAll(async () => cx?.close());

  it('reattribute: the new record is marked, from the old one, everywhere; the procedure warns', async () => {
    const old = await idOf('济市监罚〔2026〕104号');
    const objection = await openObjection(old);
    const done = await cli([
      'procedure',
      'reattribute',
      String(old),
      '--subject',
      RIGHT_SUBJECT,
      '--set',
      'CF_XDR_MC=济南示例餐饮有限公司2',
      '--reason',
      '统一代码录错',
      ...GROUNDS,
      '--json',
    ]);
    expect(done.code, done.stderr).toBe(0);
    const entry = JSON.parse(done.stdout);
    const successor = entry.otherRecordId as number;
    expect(successor).not.toBe(old);
    const warning = `异议 #${objection}（记录 ${old}，异议核查）仍在处理中`;
    expect(done.stderr).toContain(warning);
    expect(done.stderr).toContain(
      `record ${old}, replaced by record ${successor}, is under objection #${objection}`,
    );
    expect(entry.objectionWarnings).toEqual([expect.stringContaining(warning)]);

    // record: text and JSON
    const shown = await cli(['record', String(successor)]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      `异议处理中 · objection #${objection}, 异议核查 (open), received ${today}`,
    );
    expect(shown.stdout).toContain(
      `on record ${old}, replaced by this one (异议针对记录 ${old}，该记录已由本记录取代)`,
    );
    // The disclosure line names the record the objection is on, in the mark line's words.
    const carried = `异议处理中（异议 #${objection}，${today} 受理，异议针对记录 ${old}，该记录已由本记录取代）· 公示中`;
    expect(shown.stdout).toContain(`disclosure on ${today}: ${carried}`);
    const json = JSON.parse((await cli(['record', String(successor), '--json'])).stdout);
    expect(json.objection).toMatchObject({ objectionId: objection, stage: 'open', fromRecordId: old });
    expect(json.disclosure.label).toContain(carried);
    // The retired record keeps its own mark (the objection is on it), with no origin.
    const retired = JSON.parse((await cli(['record', String(old), '--json'])).stdout);
    expect(retired.objection).toMatchObject({ objectionId: objection });
    expect(retired.objection.fromRecordId).toBeUndefined();

    // subject
    const subject = await cli(['subject', RIGHT_SUBJECT]);
    expect(subject.code, subject.stderr).toBe(0);
    const line = subject.stdout.split('\n').find((text) => text.startsWith(`${successor} `));
    expect(line).toContain(`异议处理中 #${objection} (open, due `);
    expect(line).toContain(`on record ${old}`);
    expect(line).toContain(carried);

    // report disclosure: counted and labelled
    const out = path.join(cx.fx.scratch, 'disclosure.json');
    const report = await cli(['report', 'disclosure', '--as-of', today, '--out', out]);
    expect(report.code, report.stderr).toBe(0);
    const disclosed = JSON.parse(readFileSync(out, 'utf8'));
    expect(disclosed.counts.objection).toBe(1);
    const row = disclosed.records.find((r: { recordId: number }) => r.recordId === successor);
    expect(row.label).toContain(carried);
    expect(row.objection).toBe(
      `异议处理中（异议 #${objection}，${today} 受理，异议针对记录 ${old}，该记录已由本记录取代）`,
    );

    // the console's record page
    const viewer = await cx.http('viewer');
    const page = await (await viewer.get(`/records/${successor}`)).text();
    expect(page).toContain(`异议处理中 · 异议 #${objection}`);
    expect(page).toContain(`异议针对记录 ${old}，该记录已由本记录取代`);
    expect(page).toContain(`公示状态（${today}）：${carried}`);
  });

  it('the mark follows a chain: the successor superseded in turn passes it on, and that procedure warns', async () => {
    const first = (await findRecords(cx.fx.warehouse, '济市监罚〔2026〕104号')).map((r) => r.id);
    const [old, middle] = [Math.min(...first), Math.max(...first)];
    const last = await idOf('济市监罚〔2026〕102号'); // the same subject, another key: a wrong key
    const done = await cli([
      'procedure',
      'supersede',
      String(middle),
      '--by',
      String(last),
      '--reason',
      '重复记录',
      ...GROUNDS,
    ]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`记录 ${middle} 已被记录 ${last} 取代，但异议 #`);
    expect(done.stderr).toContain(`（记录 ${old}，异议核查）仍在处理中`);
    const json = JSON.parse((await cli(['record', String(last), '--json'])).stdout);
    expect(json.objection).toMatchObject({ fromRecordId: old });
  });
});
