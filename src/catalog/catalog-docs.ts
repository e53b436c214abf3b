import type { CatalogEntry } from './catalog-entry.ts';
import { describeEntry, type EntryDescription } from './describe-entry.ts';

/** The entries to publish: every version, newest first within a code, codes in catalog order. */
export function publishedEntries(entries: readonly CatalogEntry[]): EntryDescription[] {
  const sorted = [...entries].sort((a, b) => a.code.localeCompare(b.code) || b.version - a.version);
  return sorted.map((entry) => describeEntry(entry, entries));
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;

/** A line of the table of error codes published with the catalog (the CLI gives them: src/report/error-codes). */
export interface PublishedErrorCode {
  code: string;
  scope: 'row' | 'file' | 'platform';
  meaning: string;
  fix: string;
}

/** How the table names who acts on an error. */
export const ERROR_SCOPE_TITLES = { row: '数据行', file: '整个文件', platform: '平台' } as const;

/**
 * The published catalog as one Markdown document (Art. 7 目录按规定程序发布), ending with the table of error
 * codes a provider meets in its rejection reports and notices.
 */
export function catalogMarkdown(
  entries: readonly CatalogEntry[],
  generatedOn: string,
  errorCodes: readonly PublishedErrorCode[] = [],
): string {
  const published = publishedEntries(entries);
  const lines = [
    '# 公共信用信息目录',
    '',
    `生成日期：${generatedOn}。共 ${new Set(published.map((entry) => entry.code)).size} 个目录条目，${published.length} 个版本。`,
    '每行数据按其接收日期适用当日有效的版本校验。',
    '',
    row(['代码', '名称', '版本', '施行日期']),
    row(['---', '---', '---', '---']),
    ...published.map((entry) => row([entry.code, entry.title, `v${entry.version}`, entry.effectiveFrom])),
    '',
  ];
  for (const entry of published) {
    lines.push(`## ${entry.title}（${entry.code}）v${entry.version}`, '');
    lines.push(`自 ${entry.effectiveFrom} 起施行。`);
    if (entry.otherVersions.length > 0) lines.push(`其他版本：${entry.otherVersions.join('、')}。`);
    lines.push('', row(['属性', '内容']), row(['---', '---']));
    for (const [label, value] of entry.attributes) lines.push(row([label, value]));
    lines.push('', '### 字段', '', row(['字段代码', '名称', '类型', '必填', '格式与取值', '可用列名']));
    lines.push(row(['---', '---', '---', '---', '---', '---']));
    for (const field of entry.fields) {
      lines.push(
        row([`\`${field.code}\``, field.title, field.type, field.required, field.constraints, field.aliases]),
      );
    }
    if (entry.rules.length > 0) {
      lines.push('', '### 校验规则', '', ...entry.rules.map((rule) => `- ${rule}`));
    }
    lines.push('');
  }
  if (errorCodes.length > 0) {
    lines.push('## 错误代码说明', '', '拒收报告和复核通知中的错误代码：含义、涉及范围和更正方法。', '');
    lines.push(row(['错误代码', '范围', '含义', '如何更正']), row(['---', '---', '---', '---']));
    for (const error of errorCodes)
      lines.push(
        row([
          `\`${error.code}${error.code.endsWith('-') ? '…' : ''}\``,
          ERROR_SCOPE_TITLES[error.scope],
          error.meaning,
          error.fix,
        ]),
      );
    lines.push('');
  }
  return lines.join('\n');
}
