import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FileFormatError, type SourceUnit } from '../../../connectors/contracts.ts';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { unitsForFile } from '../../../connectors/transports/archive-units.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { providerMessage } from '../../report/provider-message.ts';
import { loadProviders, type Provider, providersFile } from '../../report/providers.ts';
import { ingestUnits, type RunSummary } from '../../run/ingest-files.ts';
import type { UnitResult } from '../../run/load-unit.ts';
import type { OutcomeCounts } from '../../warehouse/outcome-counts.ts';
import { sourceFilesOfRun } from '../../warehouse/source-files-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { userOf } from '../console-request.ts';
import { csrfField, csrfToken } from '../csrf.ts';
import { html, page, type SafeHtml } from '../html.ts';
import { echoed, idParam } from '../request-values.ts';
import { requireRole } from '../session-auth.ts';
import { DIRECT_REPORT_ORIGIN } from '../views/run-kind.ts';
import {
  createUploadSlots,
  directReportLimit,
  UPLOAD_TIMEOUTS,
  UPLOADS_AT_ONCE,
  type UploadBusy,
} from './direct-report-limit.ts';
import { firstRejections, type ShownRejection, sendRejectionReport } from './direct-report-rejections.ts';
import { closeAfterAnswer, type ReceivedUpload, receiveUpload, sizeText } from './direct-report-upload.ts';

/** Named here before the reception had a file of its own (direct-report-upload.ts); its tests import them here. */
export { MAX_FILE_NAME_BYTES, safeFileName } from './direct-report-upload.ts';

/**
 * The outcomes shown, in the order of DESIGN.md "Outcomes" (they add up to 读取). `unchanged` is content identical
 * to the record's current version at the provider's level (src/warehouse/merge-staged.ts): sent before by this
 * provider, by another provider of the same level, by an earlier row of the same file, or the version a legal
 * procedure wrote. Not always a repeat of the provider's own, so it is said as what is true of each (the records and
 * subject pages say it the same way: views/records-body.ts).
 */
const OUTCOME_LABELS = [
  ['inserted', '新增'],
  ['updated', '更新（更正）'],
  ['unchanged', '未变（与平台已有数据相同）'],
  ['merged', '合并（其他渠道已报送相同内容）'],
  ['conflict', '冲突（未采用）'],
  ['withdrawn', '撤销'],
  ['rejected', '拒收'],
] as const;

const FILE_STATUS: Readonly<Record<UnitResult['status'], string>> = {
  loaded: '已入库',
  failed: '整个文件未能入库',
  'failed-threshold': '拒收行过多，整个文件未入库',
  skipped: '内容与此前报送的文件相同，未重复入库',
};

/** Why an upload waits (429): one of the user's own is under way, or as many as the console runs at once. */
const BUSY: Readonly<Record<UploadBusy, string>> = {
  user: '请稍后再试：本账户已有一个文件正在上传或校验，请等它的校验结果显示后再上传下一个文件。',
  console: `请稍后再试：平台同时最多处理 ${UPLOADS_AT_ONCE} 个直报文件，现在都在处理中，请过一两分钟再上传。`,
};

/** How many rejected rows the result shows on the page; the report download has them all. */
const SHOWN_REJECTIONS = 200;

/**
 * 数据直报 (Art. 11): a provider's user uploads a file for one of its own catalog entries (the registry's
 * `expectedEntries` of the provider on its user) and sees the validation result at once. The file goes the way
 * `credit-etl ingest` takes it — saved to the staging directory while its size is checked (direct-report-upload.ts:
 * only for one of the provider's own entries), then one run of ingestUnits with the provider's code and registered
 * level — so the outcomes, counts and rejection report are the ones every other channel gets. The provider sees only its own runs' results; every other page refuses it.
 */
export async function registerDirectReportPage(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const maxBytes = directReportLimit();
  const timeouts = deps.uploadTimeouts ?? UPLOAD_TIMEOUTS;
  const slots = createUploadSlots();
  // Multipart only here: the console's other forms stay urlencoded (formbody), parsed before the CSRF check.
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 4, parts: 6 } });
    scope.get('/direct-report', { preHandler: requireRole('provider') }, async (request, reply) => {
      const provider = await providerOf(request);
      return sendPage(reply, request, uploadForm(request, provider, maxBytes));
    });
    scope.post('/direct-report', { preHandler: requireRole('provider') }, async (request, reply) => {
      // A slot before a byte is read; given back however the upload ends (a result, a refusal, an error, the
      // browser gone).
      const slot = slots.take(userOf(request).id);
      if ('busy' in slot) {
        deps.logger.warn(
          `console: direct report by ${userOf(request).name} refused: ${slot.busy === 'user' ? 'one of its own under way' : `${UPLOADS_AT_ONCE} uploads under way`}`,
        );
        return sendPage(
          reply.code(429).header('Retry-After', '60'),
          request,
          html`<p class="error" id="upload-problem">${BUSY[slot.busy]}</p>${uploadForm(request, await providerOf(request), maxBytes)}`,
        );
      }
      try {
        return await answerUpload(request, reply);
      } finally {
        slot.release();
      }
    });
    const answerUpload = async (request: FastifyRequest, reply: FastifyReply) => {
      const provider = await providerOf(request);
      // A provider the registry does not list (removed from it since its user was made) reports nothing: told so,
      // before a byte of its file is stored.
      if (!provider) {
        deps.logger.warn(
          `console: direct report by ${userOf(request).name} refused: provider ${userOf(request).providerCode} is not in the provider registry`,
        );
        return sendPage(reply.code(403), request, uploadForm(request, undefined, maxBytes));
      }
      const received = await receiveUpload(request, deps, {
        maxBytes,
        timeouts,
        entries: provider.expectedEntries,
      });
      // What was typed is echoed and logged masked: a person's number typed (or posted) as the entry, even mistyped
      // (the logger masks only numbers that check), is not shown or kept clear. Refused before a byte of its file
      // was stored (the reception stores a file only for one of the provider's own entries).
      if ('refusedEntry' in received) {
        deps.logger.warn(
          `console: ${userOf(request).name} tried to report ${echoed(received.refusedEntry)} for provider ${userOf(request).providerCode}: refused, nothing stored`,
        );
        return sendPage(
          reply.code(403),
          request,
          html`<p class="error" id="upload-problem">目录“${echoed(received.refusedEntry)}”不是本单位（${userOf(request).providerCode ?? ''}）负责报送的目录，不能由本单位直报，上传的文件未接收。如有疑问，请联系平台管理员。</p>${uploadForm(request, provider, maxBytes)}`,
        );
      }
      if ('problem' in received) {
        if (received.givenUp) closeAfterAnswer(request, reply);
        return sendPage(
          reply.code(received.status),
          request,
          html`<p class="error" id="upload-problem">${received.problem}</p>${uploadForm(request, provider, maxBytes)}`,
        );
      }
      const summary = await ingestUpload(deps, provider, received.catalog, received);
      if ('problem' in summary)
        return sendPage(
          reply.code(summary.status),
          request,
          html`<p class="error" id="upload-problem">${summary.problem}</p>${uploadForm(request, provider, maxBytes)}`,
        );
      const rejections = await firstRejections(deps, { kind: 'run', runId: summary.runId }, SHOWN_REJECTIONS);
      const earlier = await earlierDeliveries(deps, summary, provider);
      return sendPage(reply, request, resultView(summary, rejections, received.name, earlier));
    };
    scope.get<{ Params: { runId: string; format: string } }>(
      '/direct-report/runs/:runId/rejections.:format',
      { preHandler: requireRole('provider') },
      async (request, reply) => {
        const runId = idParam(request.params.runId);
        const format = request.params.format;
        if (runId === undefined || (format !== 'csv' && format !== 'xlsx'))
          return reply.code(404).send('没有这个报告');
        return sendRejectionReport(deps, request, reply, runId, format);
      },
    );
  });
}

/** The provider on the user, as the registry lists it (its level and entries); undefined if it lists none. */
async function providerOf(request: FastifyRequest): Promise<Provider | undefined> {
  const code = userOf(request).providerCode;
  const providers = await loadProviders(providersFile());
  return providers.find((provider) => provider.code === code);
}

/** One run, as `credit-etl ingest` makes it: the provider's code and registered level, received now. */
async function ingestUpload(
  deps: ConsoleDeps,
  provider: Provider,
  catalog: string,
  received: ReceivedUpload,
): Promise<RunSummary | { problem: string; status: number }> {
  let units: SourceUnit[];
  try {
    units = await unitsForFile(received.file, new Date());
  } catch (error) {
    // A damaged archive's reason is the provider's, in Chinese (it names the file, whose name may hold an ID
    // number: masked as on every page); anything else is the platform's own, for the log, not the provider.
    if (!(error instanceof FileFormatError)) {
      deps.logger.error(`console: direct report of ${received.name} could not be opened: ${String(error)}`);
      return {
        problem: '平台无法打开上传的文件（平台内部错误，不是文件内容的问题）：请稍后重新上传',
        status: 500,
      };
    }
    return {
      problem: `文件无法打开（${maskPersonalText(error.message)}）：请检查压缩包是否完整后重新上传`,
      status: 400,
    };
  }
  deps.logger.info(`console: direct report of ${received.name} (${catalog}) by provider ${provider.code}`);
  return ingestUnits(
    deps.warehouse,
    deps.catalog,
    {
      units,
      catalog,
      providerCode: provider.code,
      level: provider.level,
      encoding: 'auto',
      origin: DIRECT_REPORT_ORIGIN,
    },
    deps.logger,
  );
}

function uploadForm(request: FastifyRequest, provider: Provider | undefined, maxBytes: number): SafeHtml {
  if (!provider)
    return html`<p class="error">本账户的报送单位（${userOf(request).providerCode ?? ''}）不在平台的报送单位登记表中，暂不能直报。请联系平台管理员。</p>`;
  return html`<p>报送单位：<strong>${provider.name}</strong>（<span class="mono">${provider.code}</span>）</p>
<form class="filters" id="upload" method="post" action="/direct-report?_csrf=${csrfToken(request)}" enctype="multipart/form-data">
  <label>目录<select name="catalog" required>${provider.expectedEntries.map((code) => html`<option value="${code}">${code}</option>`)}</select></label>
  <label>文件<input type="file" name="file" required accept=".csv,.txt,.tsv,.xlsx,.zip,.gz"></label>
  <button type="submit">上传并校验</button>
</form>
<p class="muted">支持 CSV（UTF-8 或 GB18030）、XLSX，及装有它们的 ZIP、GZ；单个文件不超过 ${sizeText(maxBytes)}。上传后立即校验入库，结果显示在本页。</p>`;
}

/** The earlier delivery a skipped file of this upload repeats (the sha256 ledger's `sameContentAs`). */
interface EarlierDelivery {
  /**
   * Its run, file, time and result, when it was the provider's own (the ledger is kept per provider, so it always
   * is); otherwise absent, and the page says only that the same content was received before.
   */
  own?: {
    runId: number;
    sourceFileId: number;
    name: string;
    receivedAt: Date;
    counts: Partial<OutcomeCounts>;
    rejections: ShownRejection[];
    /** Whether the run's rejection report is the provider's to download: all the run's files are its own. */
    report: boolean;
  };
}

/** For each skipped file of the upload (by its source file id), the delivery it repeats. */
async function earlierDeliveries(
  deps: ConsoleDeps,
  summary: RunSummary,
  provider: Provider,
): Promise<Map<number, EarlierDelivery>> {
  const found = new Map<number, EarlierDelivery>();
  for (const file of summary.files) {
    const same = file.status === 'skipped' ? file.sameContentAs : undefined;
    if (!same) continue;
    const files = await sourceFilesOfRun(deps.warehouse, same.runId);
    const earlier = files.find((candidate) => candidate.id === same.sourceFileId);
    if (!earlier || earlier.provider_code !== provider.code) {
      found.set(file.sourceFileId, {});
      continue;
    }
    const rejections =
      (earlier.counts.rejected ?? 0) > 0
        ? await firstRejections(deps, { kind: 'file', sourceFileId: earlier.id }, SHOWN_REJECTIONS)
        : [];
    found.set(file.sourceFileId, {
      own: {
        runId: same.runId,
        sourceFileId: earlier.id,
        name: earlier.name,
        receivedAt: earlier.received_at,
        counts: earlier.counts,
        rejections,
        report: files.every((other) => other.provider_code === provider.code),
      },
    });
  }
  return found;
}

function resultView(
  summary: RunSummary,
  rejections: ShownRejection[],
  name: string,
  earlier: Map<number, EarlierDelivery>,
): SafeHtml {
  const counts = summary.counts as unknown as Record<string, number>;
  const rejected = counts.rejected ?? 0;
  // 没有拒收的数据行 only of rows read: a file skipped as sent before, or failing as a whole, was not read.
  const loaded = summary.files.filter((file) => file.status === 'loaded').length;
  const shownEarlier = new Map<number, NonNullable<EarlierDelivery['own']>>();
  for (const delivery of earlier.values())
    if (delivery.own) shownEarlier.set(delivery.own.sourceFileId, delivery.own);
  // A file name or a file's error (an unknown header cell) may hold an ID number: masked as every page is; a
  // file's error is shown without the operators' remarks (src/report/provider-message.ts).
  return html`<h2>校验结果：${maskPersonalText(name)}</h2>
<dl class="facts" id="result">
  <dt>运行</dt><dd>#${summary.runId}（${shanghaiTime(new Date())}）</dd>
  <dt>读取行数</dt><dd data-count="read">${counts.read ?? 0}</dd>
  ${OUTCOME_LABELS.map(([key, label]) => html`<dt>${label}</dt><dd data-count="${key}">${counts[key] ?? 0}</dd>`)}
</dl>
${summary.files.map(
  (file) =>
    html`<p class="${file.status === 'loaded' || file.status === 'skipped' ? 'notice' : 'error'}" data-file-status="${file.status}">${maskPersonalText(file.name)}：${FILE_STATUS[file.status]}${file.status === 'skipped' ? repeatedBy(earlier.get(file.sourceFileId)) : ''}${file.error ? html`。${maskPersonalText(providerMessage(file.error.message))}` : ''}</p>`,
)}
${
  rejected > 0
    ? html`<h2>拒收的数据行（${rejected} 行）</h2>
<p><a id="download-csv" href="/direct-report/runs/${summary.runId}/rejections.csv">下载拒收报告（CSV）</a> · <a id="download-xlsx" href="/direct-report/runs/${summary.runId}/rejections.xlsx">下载拒收报告（XLSX）</a>：改正后可重新上传。</p>
${rejectionTable(rejections, rejected, 'rejections')}`
    : loaded === 0
      ? ''
      : loaded === summary.files.length
        ? html`<p>没有拒收的数据行。</p>`
        : html`<p>本次入库的文件没有拒收的数据行。</p>`
}
${[...shownEarlier.values()].map(earlierView)}`;
}

/** What a skipped file's line adds: the delivery it repeats, when the provider may know it. */
function repeatedBy(delivery: EarlierDelivery | undefined): SafeHtml | string {
  if (!delivery) return '';
  if (!delivery.own) return '，本次未重新校验。';
  const { runId, name, receivedAt } = delivery.own;
  return html`：与本单位 ${shanghaiTime(receivedAt)} 报送的“${maskPersonalText(name)}”（运行 #${runId}）完全相同，本次未重新校验，那次的校验结果见下。`;
}

/** The result of the earlier delivery a file sent again repeats: its counts, its rejected rows and report. */
function earlierView(own: NonNullable<EarlierDelivery['own']>): SafeHtml {
  const rejected = own.counts.rejected ?? 0;
  const csv = `/direct-report/runs/${own.runId}/rejections.csv`;
  const xlsx = `/direct-report/runs/${own.runId}/rejections.xlsx`;
  return html`<section class="earlier" data-earlier-run="${own.runId}">
<h2>此前报送的校验结果：${maskPersonalText(own.name)}（运行 #${own.runId}，${shanghaiTime(own.receivedAt)} 接收）</h2>
<dl class="facts">
  <dt>读取行数</dt><dd data-earlier-count="read">${own.counts.read ?? 0}</dd>
  ${OUTCOME_LABELS.map(([key, label]) => html`<dt>${label}</dt><dd data-earlier-count="${key}">${own.counts[key] ?? 0}</dd>`)}
</dl>
${
  rejected === 0
    ? html`<p>那次报送没有拒收的数据行。</p>`
    : html`<h3>那次报送拒收的数据行（${rejected} 行）</h3>
${
  own.report
    ? html`<p><a class="earlier-download" href="${csv}">下载运行 #${own.runId} 的拒收报告（CSV）</a> · <a class="earlier-download" href="${xlsx}">下载运行 #${own.runId} 的拒收报告（XLSX）</a>：改正后可重新上传。</p>`
    : html`<p class="muted">运行 #${own.runId} 还载入了其他单位的文件，完整的拒收报告请向平台管理员索取。</p>`
}
${rejectionTable(own.rejections, rejected)}`
}
</section>`;
}

/** Rejected rows' errors as a table (at most SHOWN_REJECTIONS), saying when the report has more. */
function rejectionTable(rows: ShownRejection[], rejected: number, id?: string): SafeHtml {
  return html`<table${id ? html` id="${id}"` : ''}><thead><tr><th class="num">行号</th><th>字段</th><th>错误值</th><th>说明</th><th>如何改正</th></tr></thead><tbody>
${rows.map(
  (row) =>
    html`<tr data-row="${row.rowNumber}"><td class="num">${row.rowNumber}</td><td>${row.field}</td><td class="mono">${row.value}</td><td>${row.message}</td><td>${row.fix}</td></tr>`,
)}</tbody></table>${rows.length < rejected ? html`<p class="muted">仅显示前 ${rows.length} 条，全部见报告。</p>` : ''}`;
}

function sendPage(reply: FastifyReply, request: FastifyRequest, body: SafeHtml) {
  return reply.type('text/html; charset=utf-8').send(
    page({
      title: '数据直报',
      user: request.user,
      nav: '/direct-report',
      body,
      csrf: csrfField(request),
    }),
  );
}
