import type { FastifyInstance } from 'fastify';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { maskTypedLookup } from '../../log/mask-personal-data.ts';
import { listUnmaskViews, type UnmaskViewRow } from '../../warehouse/unmask-views-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { csrfField } from '../csrf.ts';
import { html, page, query } from '../html.ts';
import { idParam } from '../request-values.ts';
import { requireRole } from '../session-auth.ts';

const PAGE_SIZE = 100;

/**
 * Who saw the numbers: the console user, or the OS user of a command that wrote them in clear (since 049), marked
 * 命令行 with the database login it ran as, so the two are never taken for each other.
 */
function viewer(row: UnmaskViewRow): string {
  if (row.cli_user === null) return row.user_name ?? '';
  return `${row.cli_user}（命令行${row.db_user ? `，数据库账户 ${row.db_user}` : ''}）`;
}

/**
 * The unmask log (unmask_views): who saw unmasked personal data, when, what, why — an auditor's unmask in the
 * console or a file the CLI wrote with `--unmasked` — for auditors and admins.
 */
export function registerUnmaskLogPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: { before?: string } }>(
    '/unmask-log',
    { preHandler: requireRole('auditor', 'admin') },
    async (request, reply) => {
      const before = idParam(request.query.before);
      const rows = await listUnmaskViews(deps.warehouse, { limit: PAGE_SIZE + 1, before });
      // An entry logged before subject codes were masked on the way in may quote one clear: masked here as a typed
      // lookup, every ID-shaped run in it (a wrong check character too); one typed a digit short or long is found
      // only when it is the whole entry, not inside a sentence.
      const shown = rows.slice(0, PAGE_SIZE);
      const next = rows.length > PAGE_SIZE ? shown[shown.length - 1]?.id : undefined;
      const body = html`<p class="muted">审计员每次查看未脱敏的个人信息（身份证号码），以及每次用命令行输出含完整证件号码的文件（--unmasked，用户后注“命令行”），都连同查询事由记录在此（启用事由之前的记录没有事由，显示为“—”）；记录只增不改，数据库拒绝修改和删除。</p>
${
  shown.length === 0
    ? html`<p class="muted">暂无记录。</p>`
    : html`<table id="unmask-log"><thead><tr><th>时间（北京时间）</th><th>用户</th><th>查看内容</th><th>查询事由</th><th>来源地址</th></tr></thead><tbody>
${shown.map((row) => html`<tr><td>${shanghaiTime(row.at)}</td><td>${viewer(row)}</td><td>${maskTypedLookup(row.what)}</td><td>${row.reason === null ? '—' : maskTypedLookup(row.reason)}</td><td class="mono">${row.ip ?? ''}</td></tr>`)}</tbody></table>`
}
<p class="pager">${before !== undefined ? html`<a href="/unmask-log">最新</a>` : ''}${next !== undefined ? html`<a href="/unmask-log${query({ before: next })}">更早的记录 →</a>` : ''}</p>`;
      return reply.type('text/html; charset=utf-8').send(
        page({
          title: '未脱敏查看记录',
          user: request.user,
          nav: '/unmask-log',
          body,
          csrf: csrfField(request),
        }),
      );
    },
  );
}
