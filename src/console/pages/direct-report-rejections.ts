import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { makeDirectory } from '../../../connectors/make-directory.ts';
import { fixHint } from '../../report/fix-hint.ts';
import { entryColumns, fieldTitle, reportMasker } from '../../report/report-columns.ts';
import { writeRejectionReport } from '../../report/write-rejection-report.ts';
import { rejectionsIn } from '../../warehouse/rejections-repository.ts';
import type { ReportScope } from '../../warehouse/scope-filter.ts';
import { providersOfRun } from '../../warehouse/source-files-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { userOf } from '../console-request.ts';
import { html, page } from '../html.ts';

/** One error of a rejected row as the provider sees it: masked as every report is, with its fix. */
export interface ShownRejection {
  rowNumber: number;
  field: string;
  value: string;
  message: string;
  fix: string;
}

/**
 * The first `limit` errors of the rejected rows of a run (or of one file of it: a file sent again shows the one it
 * repeats), in row order of each file, masked (the provider is no auditor), each message without the operators'
 * remarks (an option of the CLI or of a pipeline, which a provider cannot use: src/report/provider-message.ts).
 */
export async function firstRejections(
  deps: ConsoleDeps,
  scope: Extract<ReportScope, { kind: 'run' | 'file' }>,
  limit: number,
): Promise<ShownRejection[]> {
  const masker = reportMasker(deps.catalog, false, 'provider');
  const shown: ShownRejection[] = [];
  for await (const rejection of rejectionsIn(deps.warehouse, scope)) {
    const columns = entryColumns(deps.catalog, rejection.catalogCode);
    for (const error of rejection.errors) {
      const { message, value } = masker.error(rejection.catalogCode, error, rejection.raw);
      shown.push({
        rowNumber: rejection.rowNumber,
        field: fieldTitle(columns, error.field),
        value,
        message,
        fix: fixHint(error.code),
      });
      if (shown.length >= limit) return shown;
    }
  }
  return shown;
}

/**
 * A run's rejection report (the writers `report rejections` uses, masked, its messages without the operators'
 * remarks), for the provider whose files the run loaded and for no one else: a run of another provider's files is
 * refused (403) as if it did not matter whose.
 */
export async function sendRejectionReport(
  deps: ConsoleDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  runId: number,
  format: 'csv' | 'xlsx',
): Promise<FastifyReply> {
  const user = userOf(request);
  const providers = await providersOfRun(deps.warehouse, runId);
  if (providers.length !== 1 || providers[0] !== user.providerCode) {
    deps.logger.warn(`console: ${user.name} asked for the rejections of run ${runId}: not its run, refused`);
    return reply
      .code(403)
      .type('text/html; charset=utf-8')
      .send(
        page({
          title: '无权访问',
          user,
          body: html`<p class="error">只能下载本单位报送文件的拒收报告。</p>`,
        }),
      );
  }
  const directory = path.join(deps.stagingDir, 'direct-report', 'reports');
  await makeDirectory(directory);
  const file = path.join(directory, `${randomBytes(8).toString('hex')}.${format}`);
  try {
    // The platform's own name and contact line head the provider's report as they head the staff's.
    await writeRejectionReport(deps.warehouse, deps.catalog, { kind: 'run', runId }, file, format, {
      issuer: deps.config.issuer,
      reader: 'provider',
    });
  } catch (error) {
    // Half a report (rows of a person among them) is not left behind in the staging directory.
    await rm(file, { force: true });
    throw error;
  }
  const stream = createReadStream(file);
  // Written for this download only: gone once sent (or once the download broke off).
  stream.on('close', () => void rm(file, { force: true }));
  return reply
    .type(
      format === 'csv'
        ? 'text/csv; charset=utf-8'
        : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    )
    .header('Content-Disposition', `attachment; filename="run-${runId}-rejections.${format}"`)
    .send(stream);
}
