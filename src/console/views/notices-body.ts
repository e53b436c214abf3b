import { CLOSED_HOW_TITLES, NOTICE_CHANNELS, type NoticeChannel } from '../../report/notice-log.ts';
import { type NoticeState, STATUS_TITLES } from '../../report/notice-status.ts';
import { PROVISIONAL_NOTE } from '../../report/notices.ts';
import { html, type SafeHtml } from '../html.ts';
import { NOTICE_ROWS_SHOWN, type NoticeDetails } from './notices-view.ts';
import { shown, table, when } from './page-parts.ts';

const EVENT_TITLES: Record<string, string> = {
  issued: '签发',
  sent: '送达',
  acknowledged: '确认收到',
  resent: '重新发送',
  resolved: '冲突已确认',
  escalated: '上报协调',
  closed: '办结',
};

function statusText(state: NoticeState): string {
  const closed = state.closedHow ? `（${CLOSED_HOW_TITLES[state.closedHow]}）` : '';
  return `${STATUS_TITLES[state.status]}${closed}`;
}

function deadlineText(state: NoticeState): SafeHtml {
  return html`${state.deadline}${state.provisional ? html` <small>（暂定）</small>` : ''}${state.overdue ? html` <strong>已逾期</strong>` : ''}`;
}

/** The status board: one line per notice, overdue first. */
export function noticeBoardBody(states: readonly NoticeState[], label: (code: string) => string): SafeHtml {
  const counts = (status: NoticeState['status']) => states.filter((state) => state.status === status).length;
  const overdue = states.filter((state) => state.overdue).length;
  const rows = states.map((state) => [
    html`<a href="/notices/${state.id}">${state.id}</a>`,
    label(state.providerCode),
    state.issuedOn,
    deadlineText(state),
    state.rows,
    state.corrected,
    state.escalated,
    statusText(state),
  ]);
  return html`<p class="summary">待更正 ${counts('open')} · 部分更正 ${counts('partly-corrected')} · 已办结 ${counts('closed')} · <strong>已逾期 ${overdue}</strong>（逾期的排在最前）</p>
${table(['通知号', '报送单位', '签发日期', '更正期限', '行数', '已更正', '上报协调', '状态'], rows, {
  id: 'notices',
  empty: '尚未签发复核通知（命令 credit-etl report notice）',
  rowClass: (i) => (states[i]?.overdue ? 'overdue' : undefined),
})}`;
}

export interface NoticePageModel {
  details: NoticeDetails;
  provider: string;
  unmasked: boolean;
  /** The auditor's unmask form (or the link to mask again), from ../unmask.ts; empty for other roles. */
  unmaskSwitch: SafeHtml | '';
  /** Unmasked: the hidden fields that post the reason on to the download (../unmask.ts); else empty. */
  unmaskCarried: SafeHtml | '';
  /** The re-issue form (with its CSRF field) when the viewer may re-issue, else empty. */
  reissueForm: SafeHtml | '';
  /** A message after an action (re-issued, refused). */
  flash: string | undefined;
}

/** One notice: scope, deadline, status, its rows with what to fix, and its log. */
export function noticeBody(model: NoticePageModel): SafeHtml {
  const { state, scope, rows, events, workingDays } = model.details;
  const base = `/notices/${state.id}`;
  const rowLines = rows.flatMap((row) =>
    (row.problems.length > 0 ? row.problems : [undefined]).map((problem, i) => [
      i === 0 ? row.serial : '',
      i === 0 ? (row.kind === 'conflict' ? '冲突' : '拒收') : '',
      i === 0 ? row.catalogTitle : '',
      i === 0 ? `${row.file} 第 ${row.rowNumber} 行` : '',
      problem ? problem.fieldTitle : '',
      problem ? shown(problem.value) : '',
      problem ? html`<span class="error-code">${problem.code}</span><br>${problem.message}` : '',
      problem ? problem.fix : '',
      i === 0 ? (row.corrected ? '已更正' : '待更正') : '',
    ]),
  );
  const eventLines = events.map((event) => [
    event.id,
    when(event.at),
    event.kind === 'closed' && event.closed_how
      ? `${EVENT_TITLES.closed}（${CLOSED_HOW_TITLES[event.closed_how]}）`
      : (EVENT_TITLES[event.kind] ?? event.kind),
    event.channel ? (NOTICE_CHANNELS[event.channel as NoticeChannel] ?? event.channel) : '',
    event.recipient,
    [event.basis, event.note].filter(Boolean).join(' · '),
    event.operator,
  ]);
  return html`${model.flash ? html`<p class="flash" role="status">${model.flash}</p>` : ''}
<dl class="facts">
<dt>报送单位</dt><dd>${model.provider}</dd>
<dt>范围</dt><dd>${scope}</dd>
<dt>签发日期</dt><dd>${state.issuedOn}</dd>
<dt>更正期限</dt><dd>${deadlineText(state)}（${workingDays} 个工作日${state.provisional ? `；${PROVISIONAL_NOTE.zh}` : ''}）</dd>
<dt>状态</dt><dd id="notice-status">${statusText(state)} · 已更正 ${state.corrected}/${state.rows} 行 · 上报协调 ${state.escalated} 行</dd>
${state.closedBasis ? html`<dt>办结依据</dt><dd>${state.closedBasis}</dd>` : ''}
</dl>
${
  model.unmaskCarried
    ? html`<form method="post" action="${base}/notice.xlsx">${model.unmaskCarried}<button type="submit" id="download-notice">下载未脱敏的复核通知（XLSX，与命令 report notice --id ${state.id} 相同；本次下载另行记录）</button></form>`
    : html`<p><a id="download-notice" href="${base}/notice.xlsx">下载复核通知（XLSX，与命令 report notice --id ${state.id} 相同）</a></p>`
}
${model.reissueForm}
${model.unmaskSwitch}
<h2>问题清单${rows.length >= NOTICE_ROWS_SHOWN ? `（前 ${NOTICE_ROWS_SHOWN} 行，完整清单见下载的通知）` : ''}</h2>
${table(['序号', '类别', '目录', '文件与行号', '字段', '值', '问题', '处理建议', '更正情况'], rowLines, { id: 'notice-rows' })}
<h2>办理记录</h2>
${table(['#', '时间（北京时间）', '事项', '方式', '对象', '依据 / 备注', '经办人'], eventLines, { id: 'notice-log' })}`;
}
