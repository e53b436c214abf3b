import type { CatalogEntry } from './catalog-entry.ts';
import type { Derivation } from './legacy-layout.ts';

/** A legacy layout's mapping onto the current model, as lines of the published catalog (after the rules). */
export function describeLegacyLayout(entry: CatalogEntry): string[] {
  const layout = entry.legacyLayout;
  if (!layout) return [];
  const title = (code: string) =>
    entry.schema.properties[code]?.title ?? layout.sourceFields[code]?.title ?? code;
  const quoted = (codes: string[]) => codes.map((code) => `"${title(code)}"`).join('、');
  const lines = [
    `本版为旧版布局（${layout.edition}），按列名自动识别，读入后映射为现行目录字段，按现行字段保存；同一决定的旧版与现行报送按同一业务主键归为一条记录`,
  ];
  const sources = Object.keys(layout.sourceFields);
  if (sources.length > 0)
    lines.push(`旧版来源列 ${quoted(sources)}：读取并校验，用于推导或作为来源值保留，不计入记录内容`);
  for (const derivation of layout.derivations) lines.push(describeDerivation(derivation, title));
  if (layout.absent.length > 0)
    lines.push(`旧版没有的现行字段（${layout.absent.join('、')}）记为空，不作推定`);
  return lines;
}

function describeDerivation(derivation: Derivation, title: (code: string) => string): string {
  switch (derivation.derive) {
    case 'join':
      return `"${title(derivation.to)}"由 ${derivation.from.map((code) => `"${title(code)}"`).join('、')} 的非空值合并（分号分隔）`;
    case 'value-when-filled':
      return `"${title(derivation.when)}"已填时，"${title(derivation.to)}"为"${derivation.value}"`;
    case 'subject-type':
      return `"${title(derivation.to)}"由所填代码推定：填了"${title(derivation.residentId)}"为"${derivation.natural}"；"${title(derivation.uscc)}"以 ${derivation.individualCategories.join('、')} 开头为"${derivation.individual}"；其余为"${derivation.other}"。推定的类别同样受主体代码规则约束`;
    case 'lookup':
      return `"${title(derivation.to)}"未填时，按"${title(derivation.from)}"在管道对照表 lookups.${derivation.table} 中查得；查不到的行退回（lookup-missing）`;
  }
}
