import type { FastifyInstance } from 'fastify';
import { catalogParts } from '../../catalog/catalog-html.ts';
import { errorCodeTable } from '../../report/error-codes.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, raw } from '../html.ts';
import { requireRole } from '../session-auth.ts';

/** The catalog as published (`credit-etl catalog docs`): the same rendering, inside the console's layout. */
export function registerCatalogPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/catalog', { preHandler: requireRole(...STAFF_ROLES) }, async (request, reply) => {
    // catalogParts escapes every catalog text itself: its fragments are trusted markup here.
    const { nav, sections } = catalogParts(deps.catalog.entries, errorCodeTable());
    const body = html`<style>#catalog section{margin-top:1.6rem;border-top:2px solid #8b1a1a}#catalog-toc a{margin-right:1rem}td.code{font-family:ui-monospace,Consolas,monospace;white-space:nowrap}.req{color:#b42318;font-weight:600}.cond{color:#9a6700}.meta th{width:10rem}</style>
<p class="muted">每行数据按其接收日期适用当日有效的版本校验。对外发布的同一份目录：<span class="mono">credit-etl catalog docs --out &lt;目录&gt;</span>。</p>
<p id="catalog-toc">${raw(nav)}</p>
<div id="catalog">${raw(sections)}</div>`;
    return reply.type('text/html; charset=utf-8').send(
      page({
        title: '公共信用信息目录',
        user: request.user,
        nav: '/catalog',
        body,
        csrf: csrfField(request),
      }),
    );
  });
}
