import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../migrations/index.ts';
import { appendNoticeEvent, type NewNoticeEvent } from '../src/warehouse/notice-events-repository.ts';
import { verifyObjectionLog } from '../src/warehouse/objection-log-chain.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
  type NewObjection,
  type NewObjectionStep,
} from '../src/warehouse/objection-log-repository.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review finding: an objection and a notice's log took text that shows nothing. `objection open 3 --applicant
 * $'\u0085' --reason $'\u200e\u3164'` marked a record on an objection nobody can read; `notice sent 1 --to
 * $'\u3164'` logged a notice sent to no one: 013's and 016's `btrim(…) <> ''` strip ASCII spaces only, the
 * workflow's trim() the Unicode spaces. Now each needs a character that shows, as a procedure's grounds since 051
 * (migration 053; the workflow, for every caller: src/identifiers/shown-text.ts).
 */
const SAMPLES = ['\u0085', '\u200e\u3164', '\u2800'] as const;
const codePoints = (text: string) =>
  [...text].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
const NOT_SHOWN = '（空格、控制字符和不可见字符不算；所填为 ';
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const PROVIDER = '11370000MB2852362M';

describe('the database: migration 053', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let records: number[];
  let noticeId: number;
  let conflictRow: number;
  const migrationSource: Knex.MigrationSource<string> = {
    getMigrations: async () => MIGRATIONS.map(([name]) => name),
    getMigrationName: (name) => name,
    getMigration: async (name) => MIGRATIONS.find(([candidate]) => candidate === name)![1],
  };
  const opening = (recordId: number, more: Partial<NewObjection> = {}): NewObjection => ({
    recordId,
    applicant: '济南示例有限公司',
    reason: '处罚已撤销',
    receivedOn: '2026-11-20',
    dueOn: '2026-11-25',
    channel: 'platform',
    operator: '张科员',
    ...more,
  });
  const open = (recordId: number, more: Partial<NewObjection> = {}) =>
    asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(recordId, more)));
  const step = (objectionId: number, taken: Partial<NewObjectionStep> = {}) =>
    asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, objectionId, {
        action: 'note',
        note: '已电话联系申请人',
        operator: '张科员',
        ...taken,
      }),
    );
  const event = (taken: Partial<NewNoticeEvent>) =>
    appendNoticeEvent(fx.warehouse, {
      notice_id: noticeId,
      kind: 'acknowledged',
      operator: '李科员',
      ...taken,
    });
  const count = async (table: string) =>
    Number((await fx.owner(table).count<{ count: string }[]>('* as count'))[0]!.count);

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_text_visible');
    await fx.ingest([writeRows(fx.scratch, 'o1.csv', basePenalties(6, 2053))], {
      receivedAt: at('2026-11-02'),
      provider: PROVIDER,
    });
    records = (await fx.warehouse('records').orderBy('id').pluck('id')) as number[];
    const source = await fx.owner('record_sources').orderBy('id').first('id', 'source_file_id');
    [{ id: noticeId }] = await fx
      .owner('notices')
      .insert({
        provider_code: PROVIDER,
        scope: { run: 1 },
        issued_on: '2026-11-03',
        working_days: 5,
        deadline: '2026-11-10',
      })
      .returning('id');
    [{ id: conflictRow }] = await fx
      .owner('notice_rows')
      .insert({
        notice_id: noticeId,
        kind: 'conflict',
        catalog_code: 'xzcf',
        source_file_id: source.source_file_id,
        row_number: 2,
        record_source_id: source.id,
      })
      .returning('id');
  }, 120_000);
  afterAll(async () => fx?.close());

  it('refuses an objection whose applicant or reason shows nothing, and takes one that shows', async () => {
    for (const field of ['applicant', 'reason'] as const)
      for (const sample of SAMPLES)
        await expect(
          open(records[0]!, { [field]: sample }),
          `${field} ${codePoints(sample)}`,
        ).rejects.toThrow(`objections_${field}_shows_something`);
    expect(await count('objections')).toBe(0);
    const id = await open(records[0]!, { applicant: '\u200e济南示例有限公司', reason: '处罚已撤销\u3164' });
    expect(await fx.owner('objections').where({ id }).first('applicant')).toEqual({
      applicant: '\u200e济南示例有限公司',
    });
  });

  it('refuses an objection step whose operator, basis or note shows nothing', async () => {
    const objection = await open(records[1]!);
    const before = await count('objection_log');
    for (const sample of SAMPLES) {
      const what = codePoints(sample);
      await expect(open(records[2]!, { operator: sample }), what).rejects.toThrow(
        'objection_log_operator_shows_something',
      );
      await expect(step(objection, { operator: sample }), what).rejects.toThrow(
        'objection_log_operator_shows_something',
      );
      await expect(step(objection, { note: sample }), what).rejects.toThrow(
        'objection_log_note_shows_something',
      );
      // A basis given to a step that needs none must show too; a step that needs one (close) cannot do without.
      await expect(open(records[2]!, { basis: sample }), what).rejects.toThrow(
        'objection_log_basis_shows_something',
      );
      await expect(
        step(objection, { action: 'close', result: 'rejected', basis: sample, note: '异议不成立' }),
        what,
      ).rejects.toThrow('objection_log_basis_shows_something');
    }
    expect(await count('objection_log')).toBe(before);
    await step(objection, { note: '\u200e已电话联系申请人', operator: '\u3164张科员' });
    await step(objection, {
      action: 'close',
      result: 'rejected',
      basis: '鲁信用办函〔2026〕53号',
      note: '不成立',
    });
    expect(await count('objection_log')).toBe(before + 2);
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
  });

  it('refuses a notice event whose channel, recipient, basis, operator or note shows nothing', async () => {
    const before = await count('notice_events');
    for (const sample of SAMPLES) {
      const what = codePoints(sample);
      await expect(event({ kind: 'sent', channel: sample, recipient: '济南市信用办' }), what).rejects.toThrow(
        'notice_events_channel_shows_something',
      );
      await expect(event({ kind: 'sent', channel: 'email', recipient: sample }), what).rejects.toThrow(
        'notice_events_recipient_shows_something',
      );
      await expect(event({ kind: 'closed', closed_how: 'by-hand', basis: sample }), what).rejects.toThrow(
        'notice_events_basis_shows_something',
      );
      await expect(event({ operator: sample }), what).rejects.toThrow(
        'notice_events_operator_shows_something',
      );
      await expect(event({ note: sample }), what).rejects.toThrow('notice_events_note_shows_something');
      await expect(
        event({ kind: 'escalated', notice_row_id: conflictRow, note: sample }),
        what,
      ).rejects.toThrow('notice_events_note_shows_something');
    }
    // 016 let an escalation go without a note at all (btrim(NULL) <> '' is null, and a null check passes).
    await expect(event({ kind: 'escalated', notice_row_id: conflictRow })).rejects.toThrow(
      'notice_events_note_shows_something',
    );
    expect(await count('notice_events')).toBe(before);
    await event({ kind: 'sent', channel: 'email', recipient: '\u200e济南市信用办', note: '已发送' });
    await event({ kind: 'escalated', notice_row_id: conflictRow, note: '两级数据不一致，报省信用办协调' });
    await event({ operator: '李科员' });
    expect(await count('notice_events')).toBe(before + 3);
  });

  it('leaves the rows written before as they were: the checks are NOT VALID', async () => {
    await fx.owner.migrate.down({ migrationSource, name: '053-objection-text-visible' });
    const objection = await open(records[3]!, {
      applicant: '\u0085',
      reason: '\u200e\u3164',
      operator: '\u2800',
    });
    await step(objection, { note: '\u3164', operator: '\u200e' });
    const sent = await event({ kind: 'sent', channel: 'email', recipient: '\u3164', operator: '\u2800' });
    await fx.owner.migrate.up({ migrationSource, name: '053-objection-text-visible' });

    expect(await fx.owner('objections').where({ id: objection }).first('applicant', 'reason')).toEqual({
      applicant: '\u0085',
      reason: '\u200e\u3164',
    });
    expect(
      (
        await fx
          .owner('objection_log')
          .where({ objection_id: objection })
          .orderBy('id')
          .select('operator', 'note')
      ).map((row: { operator: string; note: string | null }) => [row.operator, row.note]),
    ).toEqual([
      ['\u2800', null],
      ['\u200e', '\u3164'],
    ]);
    expect(await fx.owner('notice_events').where({ id: sent }).first('recipient', 'operator')).toEqual({
      recipient: '\u3164',
      operator: '\u2800',
    });
    const { rows } = await fx.owner.raw(
      `SELECT conname, convalidated FROM pg_constraint WHERE conname LIKE '%\\_shows\\_something' ORDER BY conname`,
    );
    expect(rows).toEqual(
      [
        'notice_events_basis',
        'notice_events_channel',
        'notice_events_note',
        'notice_events_operator',
        'notice_events_recipient',
        'objection_log_basis',
        'objection_log_note',
        'objection_log_operator',
        'objections_applicant',
        'objections_reason',
      ].map((name) => ({ conname: `${name}_shows_something`, convalidated: false })),
    );
    // …and refuses the same rows from now on.
    await expect(open(records[4]!, { applicant: '\u0085' })).rejects.toThrow(
      'objections_applicant_shows_something',
    );
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
  });
});

describe('the CLI: objection and notice steps refuse text that shows nothing', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let record: number;
  let another: number;
  let objection: number;
  let noticeId: number;
  const cli = (args: string[]) =>
    runCli(args, {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    });
  const count = async (table: string) =>
    Number((await fx.owner(table).count<{ count: string }[]>('* as count'))[0]!.count);
  const openArgs = (more: Record<string, string> = {}) =>
    Object.entries({
      '--applicant': '济南示例有限公司',
      '--reason': '处罚已撤销',
      '--received-at': '2026-11-20',
      '--operator': '张科员',
      ...more,
    }).flat();

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_text_visible_cli');
    await fx.ingest([writeRows(fx.scratch, 'o2.csv', basePenalties(3, 3053))], {
      receivedAt: at('2026-11-02'),
      provider: PROVIDER,
    });
    [record, another] = (await fx.warehouse('records').orderBy('id').pluck('id')) as [number, number];
    const opened = await cli(['objection', 'open', String(record), ...openArgs(), '--json']);
    expect(opened.code, opened.stderr).toBe(0);
    objection = JSON.parse(opened.stdout).id as number;
    [{ id: noticeId }] = await fx
      .owner('notices')
      .insert({
        provider_code: PROVIDER,
        scope: { run: 1 },
        issued_on: '2026-11-03',
        working_days: 5,
        deadline: '2026-11-10',
      })
      .returning('id');
  }, 120_000);
  afterAll(async () => fx?.close());

  it('`objection open`, `close`, `appeal` and `answer`: exit 2, the field named, nothing written', async () => {
    const refused = 'credit-etl: objection refused, nothing changed: ';
    const id = String(objection);
    const decision = ['--result', 'rejected', '--basis', '鲁信用办函〔2026〕53号', '--note', '不成立'];
    const cases: Array<[string[], string]> = [
      [
        ['objection', 'open', String(record), ...openArgs({ '--applicant': '\u0085' })],
        `${refused}异议申请人不能为空：请用 --applicant 填写${NOT_SHOWN}U+0085）`,
      ],
      [
        ['objection', 'open', String(record), ...openArgs({ '--reason': '\u200e\u3164' })],
        `${refused}异议理由不能为空：请用 --reason 填写${NOT_SHOWN}U+200E U+3164）`,
      ],
      [
        ['objection', 'open', String(record), ...openArgs({ '--operator': '\u2800' })],
        `${refused}经办人不能为空：请用 --operator 填写${NOT_SHOWN}U+2800）`,
      ],
      [
        ['objection', 'open', String(record), ...openArgs({ '--basis': '\u3164' })],
        `${refused}依据不能为空：请用 --basis 填写${NOT_SHOWN}U+3164）`,
      ],
      [
        ['objection', 'close', id, ...decision, '--basis', '\u200e'],
        `${refused}依据不能为空：请用 --basis 填写${NOT_SHOWN}U+200E）`,
      ],
      [
        ['objection', 'close', id, ...decision, '--note', '\u0085'],
        `${refused}说明不能为空：请用 --note 填写${NOT_SHOWN}U+0085）`,
      ],
      [
        ['objection', 'appeal', id, '--basis', '申诉书', '--note', '申诉', '--operator', '\u3164'],
        `${refused}经办人不能为空：请用 --operator 填写${NOT_SHOWN}U+3164）`,
      ],
      [
        ['objection', 'answer', id, '--result', 'confirmed', '--basis', '\u2800'],
        `credit-etl: nothing done: 报送单位的答复文号或依据不能为空：请用 --basis 填写${NOT_SHOWN}U+2800）`,
      ],
    ];
    const objections = await count('objections');
    const steps = await count('objection_log');
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      expect([args.join(' '), results[i]?.code]).toEqual([args.join(' '), 2]);
      expect(results[i]?.stderr, args.join(' ')).toContain(message);
    });
    expect([await count('objections'), await count('objection_log')]).toEqual([objections, steps]);
    // With text that shows (invisibles around it), the same command goes through.
    const opened = await cli([
      'objection',
      'open',
      String(another),
      ...openArgs({ '--applicant': '\u200e济南示例有限公司', '--basis': '申请书〔2026〕1号' }),
    ]);
    expect(opened.code, opened.stderr).toBe(0);
  });

  it('`notice sent`, `ack`, `close`, `escalate` and `report notice`: exit 2, the field named, nothing logged', async () => {
    const id = String(noticeId);
    const refused = 'refused: ';
    const cases: Array<[string[], string]> = [
      [
        ['notice', 'sent', id, '--channel', 'email', '--to', '\u3164'],
        `${refused}接收人不能为空：请用 --to 填写${NOT_SHOWN}U+3164）`,
      ],
      [
        ['notice', 'sent', id, '--channel', 'email', '--to', '济南市信用办', '--operator', '\u200e\u3164'],
        `${refused}经办人不能为空：请用 --operator 填写${NOT_SHOWN}U+200E U+3164）`,
      ],
      [
        ['notice', 'ack', id, '--note', '\u0085'],
        `${refused}说明不能为空：请用 --note 填写${NOT_SHOWN}U+0085）`,
      ],
      [
        ['notice', 'close', id, '--basis', '\u2800'],
        `${refused}办结依据不能为空：请用 --basis 填写${NOT_SHOWN}U+2800）`,
      ],
      [
        ['notice', 'escalate', id, '--row', '1', '--reason', '\u200e'],
        `${refused}上报理由不能为空：请用 --reason 填写${NOT_SHOWN}U+200E）`,
      ],
      [
        [
          'report',
          'notice',
          '--provider',
          PROVIDER,
          '--run',
          '1',
          '--out',
          path.join(fx.scratch, 'n.xlsx'),
        ].concat(['--operator', '\u3164']),
        `${refused}经办人不能为空：请用 --operator 填写${NOT_SHOWN}U+3164）`,
      ],
    ];
    const events = await count('notice_events');
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      expect([args.join(' '), results[i]?.code]).toEqual([args.join(' '), 2]);
      expect(results[i]?.stderr, args.join(' ')).toContain(message);
    });
    expect(await count('notice_events')).toBe(events);
    const sent = await cli(['notice', 'sent', id, '--channel', 'email', '--to', '济南市信用办\u200e']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(await count('notice_events')).toBe(events + 1);
  });
});
