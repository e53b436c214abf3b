import type { CatalogEntry } from '../../catalog/catalog-entry.ts';
import { periodNote } from '../../disclosure/disclosure-state.ts';
import { RETENTION_NOTE } from '../../disclosure/record-retention.ts';
import { markOriginTitle, markStageTitle } from '../../objections/objection-titles.ts';
import { type LaterKind, laterThanDayCounts } from '../../records/later-than-day.ts';
import type { RecordSearch } from '../../records/record-search.ts';
import type { RecordNotYetView, RecordView } from '../../records/record-view.ts';
import {
  type SubjectArchive,
  type SubjectUnderCode,
  subjectUnderCode,
} from '../../records/subject-archive.ts';
import type { SubjectKind } from '../../records/subject-kind.ts';
import type { ObjectionMark } from '../../warehouse/objections-repository.ts';
import { html, type SafeHtml } from '../html.ts';
import { shown, table, when } from './page-parts.ts';

const STATUS_TITLES = { current: '现行', withdrawn: '已撤回', superseded: '已被替代' } as const;
const LEVEL_TITLES: Record<string, string> = { province: '省级', city: '市级', county: '县级' };
/**
 * `unchanged`: content identical to the record's current version at that level (sent before by the same provider,
 * by another of the same level, by an earlier row of the file, or written by a legal procedure), not always a
 * repeat of that provider's own: said as the direct-report page says it (pages/direct-report-page.ts).
 */
const OUTCOME_TITLES: Record<string, string> = {
  inserted: '新增',
  updated: '更新',
  unchanged: '未变（与平台已有数据相同）',
  merged: '合并（其他渠道相同内容）',
  conflict: '冲突（未采用）',
  withdrawn: '撤回',
};

/**
 * `异议处理中 · 异议 #3 异议核查，2026-02-13 受理，2026-02-25 前核查`; in an appeal, review or lawsuit the day it
 * began (`申诉中，2026-12-06 起`), not the finished check's due date as if it were still pending; `（异议针对记录 4，
 * 该记录已由本记录取代）` when the objection is on a record this one replaced.
 */
export function objectionMark(mark: ObjectionMark | null | undefined): SafeHtml | '' {
  if (!mark) return '';
  const origin = markOriginTitle(mark);
  return html`<span class="objection">异议处理中 · 异议 #${mark.objectionId} ${markStageTitle(mark)}${origin ? `（${origin}）` : ''}</span>`;
}

/** The search box (POST: an ID number typed in stays out of addresses and access logs) and what it found. */
export function recordSearchBody(search: RecordSearch | undefined, csrfField: SafeHtml): SafeHtml {
  const found = search
    ? search.records.length === 0
      ? html`<p class="empty">未找到与“${search.typed}”相符的记录：可输入统一社会信用代码、身份证号、决定书文号、记录号或完整业务主键（各部分以 | 分隔）。</p>`
      : html`<p>“${search.typed}”${search.matchedAs === 'subject' ? '是主体代码' : '匹配记录号、业务主键或文号'}：共 ${search.records.length} 条${search.records.length >= 50 ? '（最多显示 50 条）' : ''}</p>
${table(
  ['记录号', '目录', '业务主键', '主体', '状态'],
  search.records.map((record) => [
    html`<a href="/records/${record.id}">${record.id}</a>`,
    html`${record.title}<br><small>${record.catalogCode}</small>`,
    record.key,
    record.subjectRef
      ? html`<a href="/subjects/${encodeURIComponent(record.subjectRef)}">${shown(record.subjectCode)}</a>`
      : '—',
    STATUS_TITLES[record.status],
  ]),
  { id: 'found' },
)}`
    : '';
  return html`<form class="filters" method="post" action="/records">
${csrfField}
<label>查询 <input type="search" name="q" size="40" value="${search?.typed}" placeholder="统一社会信用代码 / 身份证号 / 决定书文号 / 记录号" autofocus></label>
<button type="submit">查询</button>
</form>
<p class="hint">文号的括号、全角半角、空格不论怎样输入都视为同一文号（如 鲁市监罚【2026】12号 = 鲁市监罚〔2026〕12号）；身份证号按脱敏方式显示。</p>
${found}`;
}

export interface RecordPageModel {
  view: RecordView;
  entry: CatalogEntry | undefined;
  label: (providerCode: string) => string;
  /** Free text as shown (file names, bases, reasons): ID numbers in it masked unless unmasked. */
  text: (value: string) => string;
  unmasked: boolean;
  /** The auditor's link to unmask (or mask again), from ../unmask.ts; empty for other roles. */
  unmaskSwitch: SafeHtml | '';
}

/** One record: current version, history, lineage, conflicts side by side, disclosure (保存期限 too) and objection marks. */
export function recordBody(model: RecordPageModel): SafeHtml {
  const { view, entry } = model;
  const title = (field: string) => entry?.schema.properties[field]?.title ?? field;
  const fields = entry ? Object.keys(entry.schema.properties) : Object.keys(view.current.data).sort();
  const versionNo = (id: number | null) =>
    id === null ? '—' : `v${view.versions.find((version) => version.id === id)?.versionNo ?? '?'}`;
  const disclosure = view.disclosure;
  const note = disclosure ? periodNote(disclosure.period) : '';
  const marks = [
    disclosure
      ? html`<span class="disclosure">公示状态（${disclosure.asOf}）：${disclosure.label}</span>`
      : '',
    objectionMark(view.objection),
    view.status !== 'current' ? html`<span class="retired">${STATUS_TITLES[view.status]}</span>` : '',
    view.disagreements.some((d) => d.status === 'pending')
      ? html`<span class="conflict">存在待定冲突</span>`
      : '',
  ].filter(Boolean);
  const history = view.history.map((event) => {
    if (event.event === 'procedure') {
      const procedure = view.procedures.find((p) => p.id === event.procedureId);
      return [
        `法定程序 #${event.procedureId}`,
        when(event.at),
        '—',
        procedure
          ? model.text(
              `${procedure.kind} · 依据 ${procedure.basis} · 理由 ${procedure.reason} · 经办 ${procedure.operator}`,
            )
          : event.kind,
      ];
    }
    const version = view.versions.find((v) => v.versionNo === event.versionNo);
    return [
      `v${event.versionNo}`,
      when(version?.createdAt ?? event.at),
      version?.procedureId
        ? `法定程序 #${version.procedureId}`
        : html`${shown(version?.fileName ? model.text(version.fileName) : undefined)} 第 ${shown(version?.rowNumber)} 行（运行 ${version?.runId ? html`<a href="/runs/${version.runId}">${version.runId}</a>` : '—'}）`,
      version?.changedFields.map(title).join('、') || (event.versionNo === 1 ? '（首个版本）' : '—'),
    ];
  });
  const lineage = view.lineage.map((source) => [
    source.id,
    html`<a href="/runs/${source.runId}">${source.runId}</a>`,
    `${model.text(source.fileName)} 第 ${source.rowNumber} 行`,
    model.label(source.providerCode),
    LEVEL_TITLES[source.level] ?? source.level,
    html`${OUTCOME_TITLES[source.outcome] ?? source.outcome}${source.note ? html`<br><small>${source.note}</small>` : ''}`,
    versionNo(source.versionId),
    when(source.receivedAt),
    shown(source.workingDays),
    source.late ? '逾期报送' : source.late === null ? '待定（缺节假日数据）' : '',
  ]);
  const refused = view.refusedWithdrawals.map((request) => [
    when(request.refusedAt),
    model.label(request.providerCode),
    LEVEL_TITLES[request.level] ?? request.level,
    html`<a href="/runs/${request.runId}">${request.runId}</a>`,
    `${model.text(request.fileName)} 第 ${request.rowNumber} 行`,
    shown(request.signal),
    html`${request.code}<br><small>${request.message}</small>`,
  ]);
  const conflicts = view.disagreements.map(
    (d) => html`<section class="side-by-side" id="conflict-${d.sourceId}">
<h3>冲突 #${d.sourceId}（${d.status === 'pending' ? '待定' : '已解决'}）：${LEVEL_TITLES[d.level] ?? d.level} ${model.label(d.providerCode)}，${model.text(d.fileName)} 第 ${d.rowNumber} 行，${when(d.receivedAt)} 接收</h3>
${d.reason ? html`<p class="conflict-reason">${d.reason}</p>\n` : ''}${table(
  ['字段', `现行版本 v${view.current.versionNo}`, '该渠道报送内容'],
  d.differences.map((difference) => [
    difference.title,
    shown(difference.current),
    html`<span class="differs">${shown(difference.delivered)}</span>`,
  ]),
)}
</section>`,
  );
  return html`${asOfBanner(view)}${asOfForm(view.id, view.asOf?.day)}
<dl class="facts">
<dt>目录</dt><dd>${view.title}（${view.catalogCode}）</dd>
<dt>业务主键</dt><dd id="record-key">${view.key}</dd>
<dt>主体</dt><dd id="record-subject">${view.subjectCode === null ? '—' : html`<a href="/subjects/r${view.id}">${view.subjectCode}</a>`}</dd>
<dt>渠道层级</dt><dd>${LEVEL_TITLES[view.level] ?? view.level}</dd>
<dt>状态</dt><dd>${STATUS_TITLES[view.status]} · 第 ${view.current.versionNo} 版，共 ${view.versions.length} 版${view.retiredBy ? html` · 法定程序 #${view.retiredBy.id}（依据 ${model.text(view.retiredBy.basis)}）` : ''}</dd>
</dl>
<p class="marks">${marks.map((mark, i) => (i === 0 ? mark : html` ${mark}`))}</p>
${note ? html`<p class="hint">${note}</p>` : ''}
${disclosure?.retention ? html`<p class="retention">保存期限：${disclosure.retention.label} <small>（${RETENTION_NOTE}）</small></p>` : ''}
${model.unmaskSwitch}
<h2>${view.status === 'current' ? '现行版本' : '最后版本'} v${view.current.versionNo}</h2>
${table(
  ['字段', '代码', '值'],
  fields
    .filter((field) => view.current.data[field] !== undefined)
    .map((field) => [
      title(field),
      field,
      html`<span class="value" data-field="${field}">${shown(view.current.data[field])}</span>`,
    ]),
  { id: 'current-version' },
)}
<h2>版本历史（最早在前，含法定程序）</h2>
${table(['事件', '时间', '来源', '变更字段 / 程序'], history, { id: 'history' })}
<h2>来源（每次报送）</h2>
${table(['#', '运行', '文件与行号', '报送单位', '层级', '结果', '版本', '接收时间', '工作日', '及时性'], lineage, { id: 'lineage' })}
<h2>被拒绝的撤销请求（报送单位要求撤销本记录而无权撤销，可能需由主管部门办理）</h2>
${refused.length > 0 ? table(['拒绝时间', '报送单位', '层级', '运行', '文件与行号', '撤销标记', '原因'], refused, { id: 'refused-withdrawals' }) : html`<p class="empty">无</p>`}
<h2>冲突对照</h2>
${conflicts.length > 0 ? conflicts.map((conflict, i) => (i === 0 ? conflict : html`\n${conflict}`)) : html`<p class="empty">无冲突</p>`}`;
}

/** How the console's `?asOf=` banner counts each kind of what came later (`1 个版本`). */
const LATER_TITLES: Record<LaterKind, string> = {
  versions: '个版本',
  lineage: '条来源记录',
  redeliveries: '次内容未变的重复报送',
  procedures: '项法定程序',
};

/**
 * `?asOf=` a past day: which day's end the page shows, what came later and is not shown (counted: the list
 * `record --as-of` renders too, laterThanDayCounts), and the way back to today's page. Nothing on today's page.
 */
function asOfBanner(view: RecordView): SafeHtml | '' {
  if (!view.asOf) return '';
  const { day, later } = view.asOf;
  const left = laterThanDayCounts(later).map(([count, kind]) => `${count} ${LATER_TITLES[kind]}`);
  const after =
    left.length === 0 ? '此后本记录没有新增内容。' : `此后新增的 ${left.join('、')}未在本页显示。`;
  return html`<p class="notice" id="as-of-banner">本页为记录 ${view.id} 在 ${day} 日终（北京时间）的状态：当日的版本、状态、历史、来源和公示状态；${after}<a href="/records/${view.id}" id="as-of-today">查看当前状态</a></p>
`;
}

/** The GET form asking for a past day's page (`?asOf=`): a day only, so nothing of a person in the address. */
function asOfForm(recordId: number, day: string | undefined): SafeHtml {
  return html`<form class="filters" method="get" action="/records/${recordId}" id="as-of-form">
<label>查看某日状态 <input type="date" name="asOf" value="${day}"></label>
<button type="submit">查看</button> <span class="muted">（该日日终，北京时间；不填或填今天及以后的日期即为当前状态）</span>
</form>`;
}

/**
 * `?asOf=` a past day before the record was in the warehouse: says so, with when its first version was written and
 * that day's disclosure (不公示：当日尚无此记录); nothing of its data, which is of later.
 */
export function recordNotYetBody(notYet: RecordNotYetView): SafeHtml {
  return html`<p class="notice" id="not-yet">记录 ${notYet.id}（${notYet.title}，${notYet.catalogCode}）在 ${notYet.asOf.day} 日终（北京时间）尚未入库：其首个版本写入于 ${when(notYet.asOf.firstVersionAt)}，当日平台上没有这条记录的任何内容。<a href="/records/${notYet.id}" id="as-of-today">查看当前状态</a></p>
${
  notYet.disclosure
    ? html`<p class="marks"><span class="disclosure">公示状态（${notYet.disclosure.asOf}）：${notYet.disclosure.label}</span></p>
`
    : ''
}${asOfForm(notYet.id, notYet.asOf.day)}`;
}

export interface SubjectPageModel {
  archive: SubjectArchive;
  /** Free text as shown (bases): ID numbers in it masked unless unmasked. */
  text: (value: string) => string;
  unmasked: boolean;
  /** The auditor's link to unmask (or mask again), from ../unmask.ts; empty for other roles. */
  unmaskSwitch: SafeHtml | '';
}

const ARCHIVE_OUTCOMES = ['inserted', 'updated', 'unchanged', 'merged', 'conflict'];

/**
 * Art. 9: one subject's current records grouped by catalog entry, with marks and each one's 保存期限 on the archive's
 * day (RETENTION_NOTE said once, below the tables); retired records apart.
 */
export function subjectBody(model: SubjectPageModel): SafeHtml {
  const { archive } = model;
  const total = archive.groups.reduce((sum, group) => sum + group.records.length, 0);
  const groups = archive.groups.map(
    (group) => html`<h2>${group.title}（${group.catalogCode}）· ${group.records.length} 条</h2>
${table(
  [
    '记录号',
    '业务主键',
    '形成日期',
    '版本',
    '层级',
    '来源',
    `公示状态（${archive.asOf}）`,
    `保存期限（${archive.asOf}）`,
    '标记',
  ],
  group.records.map((record) => [
    html`<a href="/records/${record.recordId}">${record.recordId}</a>`,
    record.businessKey,
    shown(record.formationDate),
    `v${record.versionNo}`,
    LEVEL_TITLES[record.level] ?? record.level,
    ARCHIVE_OUTCOMES.filter((outcome) => record.lineage[outcome])
      .map((outcome) => `${OUTCOME_TITLES[outcome]} ${record.lineage[outcome]}`)
      .join('，'),
    shown(record.disclosure?.label),
    shown(record.disclosure?.retention?.label),
    [
      record.late ? '逾期报送' : record.late === null ? '及时性待定' : '',
      record.conflictPending > 0 ? `冲突待定 ${record.conflictPending}` : '',
      objectionMark(record.objection),
    ]
      .filter(Boolean)
      .map((mark, i) => (i === 0 ? mark : html`<br>${mark}`)),
  ]),
)}`,
  );
  const retired =
    archive.retired.length === 0
      ? ''
      : html`<h2>已不再现行（法定程序，保留）· ${archive.retired.length} 条</h2>
${table(
  ['记录号', '目录', '业务主键', '状态', '程序', '依据'],
  archive.retired.map((record) => [
    html`<a href="/records/${record.recordId}">${record.recordId}</a>`,
    record.catalogCode,
    record.businessKey,
    record.status === 'withdrawn'
      ? '已撤回'
      : html`已被记录 <a href="/records/${record.supersededBy}">${record.supersededBy}</a> 替代`,
    `#${record.procedureId} ${when(record.performedAt)}`,
    model.text(record.basis),
  ]),
)}`;
  // Whose archive it is is said when the code names another subject too: otherwise nothing to tell apart.
  const other = archive.alsoUnderCode;
  const whose =
    other && archive.kind
      ? html`<p class="subject-kind">主体类别：${KIND_TITLES[archive.kind]}${archive.name ? html`；名称：${archive.name}` : ''}</p>
<p class="also-under-code">此代码还对应另一主体（${KIND_TITLES[other.kind]}，${subjectCounts(other)}），其记录不在本档案中：<a href="/subjects/r${other.recordId}">查看其档案</a></p>
`
      : '';
  return html`${whose}<p>现行记录 ${total} 条，分属 ${archive.groups.length} 个目录（第九条）。</p>
${model.unmaskSwitch}
${total === 0 && archive.retired.length === 0 ? html`<p class="empty">没有该主体的记录：请核对代码。</p>` : ''}
${groups.map((group, i) => (i === 0 ? group : html`\n${group}`))}
${total > 0 ? html`<p class="retention-note">保存期限：${RETENTION_NOTE}</p>` : ''}
${retired}`;
}

const KIND_TITLES: Record<SubjectKind, string> = {
  person: '自然人',
  organization: '法人及非法人组织（含个体工商户）',
};

const subjectCounts = (subject: SubjectUnderCode) =>
  `现行记录 ${subject.current} 条${subject.retired > 0 ? `，已不再现行 ${subject.retired} 条` : ''}`;

/**
 * A code that names two subjects (an ID number that checks as a USCC too, a passport number equal to a company's
 * code): neither archive is shown, as `credit-etl subject` without `--kind` shows neither; each is a link by
 * `r<record id>`, which names no person's number. `subjectCode` is the code as a person's archive shows it.
 */
export function subjectChoiceBody(subjectCode: string, archives: readonly SubjectArchive[]): SafeHtml {
  const choices = archives.flatMap((archive) => {
    if (!archive.kind) return [];
    const subject = subjectUnderCode(archive);
    return [
      html`<li><a href="/subjects/r${subject.recordId}">${KIND_TITLES[archive.kind]}${archive.name ? html` ${archive.name}` : ''}</a>：${subjectCounts(subject)}</li>`,
    ];
  });
  return html`<p class="subject-choice">代码 ${subjectCode} 对应两个主体（同一串号码既是居民身份证号码或其他证件号码，又是统一社会信用代码），各有各的信用档案：请选择要查看的一个。</p>
<ul id="subjects-under-code">${choices.map((choice, i) => (i === 0 ? choice : html`\n${choice}`))}</ul>`;
}
