import type { IdentifierKind } from '../identifiers/index.ts';
import type { CatalogEntry, CrossFieldRule, FieldSchema } from './catalog-entry.ts';
import { fieldCodes, subjectCodeFields } from './catalog-entry.ts';
import { describeLegacyLayout } from './describe-legacy-layout.ts';
import { LONGEST_DISCLOSURE_MONTHS, SEVERITIES, type SeverityFromText } from './disclosure-rule.ts';

/** An entry as the published catalog shows it: plain Chinese strings, the same for Markdown and HTML. */
export interface EntryDescription {
  code: string;
  title: string;
  version: number;
  effectiveFrom: string;
  /** Other versions of the same entry: `v1（2021-07-15起）`. */
  otherVersions: string[];
  attributes: [label: string, value: string][];
  fields: FieldDescription[];
  rules: string[];
}

export interface FieldDescription {
  code: string;
  title: string;
  type: string;
  required: string;
  constraints: string;
  aliases: string;
}

const SUBJECT_TYPE_NAMES: Record<string, string> = {
  'legal-person': '法人和非法人组织',
  'natural-person': '自然人',
  'individual-business': '个体工商户',
};

// `satisfies`: a new identifier kind (src/identifiers) does not compile until it has its name here.
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  uscc: '统一社会信用代码（GB 32100-2015，18位，第3–8位为6位数字行政区划代码，含校验位）',
  'resident-id': '居民身份证号码（GB 11643-1999，18位，含校验位）',
  'org-code': '组织机构代码（GB 11714，9位，可带连字符）',
  'business-reg-number': '工商注册号（15位，ISO 7064 MOD 11,10）',
  'cn-date': '日期（2026-03-05、2026/3/5、2026年3月5日、20260305）',
} satisfies Record<IdentifierKind | 'cn-date', string>;

export function describeEntry(entry: CatalogEntry, all: readonly CatalogEntry[]): EntryDescription {
  const title = (field: string) => entry.schema.properties[field]?.title ?? field;
  const titles = (fields: string[]) => fields.map((field) => `${title(field)}（${field}）`).join(' + ');
  const conditional = conditionalRequired(entry);
  const { attributes: a } = entry;
  return {
    code: entry.code,
    title: entry.title,
    version: entry.version,
    effectiveFrom: entry.effectiveFrom,
    otherVersions: all
      .filter((other) => other.code === entry.code && other.version !== entry.version)
      .sort((x, y) => x.version - y.version)
      .map((other) => `v${other.version}（${other.effectiveFrom}起）`),
    attributes: [
      ['信息内容', a.content],
      ['共享方式', a.sharingMethod],
      ['使用范围', a.usageScope],
      ['更新周期', a.updateCycle],
      ['数据来源', a.dataSource],
      ['格式规范', a.formatSpec],
      ['使用（公示）期限', a.usagePeriod],
      ['保存期限', a.retentionPeriod],
      ['公示期计算', describeDisclosure(entry)],
      ['主体类型', entry.subjectTypes.map((type) => SUBJECT_TYPE_NAMES[type] ?? type).join('、')],
      ['业务主键', titles(entry.businessKey)],
      ['主体代码字段', subjectCodeText(entry, titles)],
      ['信息形成日期', titles([entry.formationDateField])],
      ['渠道优先级', entry.precedence.map((level) => LEVEL_NAMES[level]).join(' > ')],
    ],
    fields: fieldCodes(entry).map((code) => {
      const field = entry.schema.properties[code]!;
      const condition = conditional.get(code);
      return {
        code,
        title: field.title,
        type: field.type === 'number' ? '数字' : '文本',
        required: entry.schema.required.includes(code)
          ? '必填'
          : condition
            ? `条件必填：${condition}`
            : '选填',
        constraints: constraintsOf(field),
        aliases: (field['x-aliases'] ?? []).join('、'),
      };
    }),
    rules: [...entry.rules.map((rule) => describeRule(rule, title)), ...describeLegacyLayout(entry)],
  };
}

const LEVEL_NAMES = { province: '省级', city: '市级', county: '县级' } as const;

function constraintsOf(field: FieldSchema): string {
  const parts: string[] = [];
  if (field.format) parts.push(FORMAT_NAMES[field.format] ?? field.format);
  const codeList = field['x-codeList'];
  if (codeList) {
    let text = `代码表：${codeList.values.join('、')}`;
    if (codeList.otherPrefix) text += `，或"${codeList.otherPrefix}具体名称"`;
    if (codeList.multiple) text += '（可多选，分号分隔）';
    parts.push(text);
    const aliases = Object.entries(codeList.aliases ?? {});
    if (aliases.length > 0) {
      parts.push(
        `旧称对照：${aliases.map(([old, now]) => `${old} → ${now.split(';').join('、')}`).join('；')}`,
      );
    }
  }
  if (field.maxLength) parts.push(`最多${field.maxLength}字`);
  if (field.minimum !== undefined) parts.push(`不小于${field.minimum}`);
  if (field['x-maxDecimals'] !== undefined) parts.push(`最多${field['x-maxDecimals']}位小数`);
  if (field['x-notFuture']) parts.push('不得晚于报送当日');
  if (field['x-personal']) parts.push('个人信息：对外脱敏');
  if (field.description) parts.push(field.description);
  return parts.join('；');
}

/** `CF_XDR_SHDM → 行政相对人类别为"法人及非法人组织"时` from the schema's `allOf` if/then branches. */
function conditionalRequired(entry: CatalogEntry): Map<string, string> {
  const conditions = new Map<string, string>();
  type Branch = { if?: { properties?: Record<string, { const?: unknown }> }; then?: { required?: string[] } };
  for (const branch of (entry.schema.allOf ?? []) as Branch[]) {
    const [field, condition] = Object.entries(branch.if?.properties ?? {})[0] ?? [];
    if (!field || condition?.const === undefined) continue;
    const text = `${entry.schema.properties[field]?.title ?? field}为"${String(condition.const)}"时`;
    for (const code of branch.then?.required ?? []) {
      conditions.set(code, [conditions.get(code), text].filter(Boolean).join('，或'));
    }
  }
  for (const rule of entry.rules) {
    if (rule.rule !== 'placeholder-for-type') continue;
    const text = `${entry.schema.properties[rule.field]?.title ?? rule.field}为占位代码${rule.placeholder}时`;
    conditions.set(rule.requires, [conditions.get(rule.requires), text].filter(Boolean).join('，或'));
  }
  return conditions;
}

function describeRule(rule: CrossFieldRule, title: (field: string) => string): string {
  switch (rule.rule) {
    case 'date-not-before':
      return `"${title(rule.field)}"不得早于"${title(rule.reference)}"`;
    case 'identifier-by-type':
      return Object.entries(rule.types)
        .map(
          ([type, kind]) =>
            `"${title(rule.typeField)}"为"${type}"时，"${title(rule.field)}"按${FORMAT_NAMES[kind] ?? kind}校验`,
        )
        .join('；');
    case 'subject-type-matches-uscc':
      return (
        `"${title(rule.field)}"的前两位须与"${title(rule.typeField)}"一致：` +
        Object.entries(rule.categories)
          .map(([type, prefixes]) =>
            prefixes.length > 0 ? `${type} ${prefixes.join('/')}` : `${type} 不填或不限`,
          )
          .join('，')
      );
    case 'placeholder-for-type':
      return (
        `"${title(rule.field)}"可填占位代码${rule.placeholder}，仅限"${title(rule.typeField)}"为"${rule.type}"，` +
        `且此时"${title(rule.requires)}"必填`
      );
    case 'empty-for-type':
      return (
        `"${title(rule.typeField)}"为${rule.types.map((type) => `"${type}"`).join('或')}时，` +
        `${rule.fields.map((field) => `"${title(field)}"`).join('、')}应为空（填写了即退回，错误代码 subject-code-not-allowed）`
      );
  }
}

/** `主体代码字段`: per subject type when the entry says so, else the fields in order. */
function subjectCodeText(entry: CatalogEntry, titles: (fields: string[]) => string): string {
  const byType = entry.subjectCodeByType;
  if (!byType) return `${titles(subjectCodeFields(entry)).split(' + ').join('，')}（依次取第一个有效值）`;
  const typeTitle = entry.schema.properties[byType.typeField]?.title ?? byType.typeField;
  const perType = Object.entries(byType.fields).map(
    ([type, fields]) =>
      `${type}：${titles(fields).split(' + ').join('，')}${fields.length > 1 ? '（依次取第一个有效值，占位代码除外）' : ''}`,
  );
  return `按"${typeTitle}"确定——${perType.join('；')}`;
}

/** The entry's `disclosure` block in words: what the engine computes a record's disclosure from. */
function describeDisclosure(entry: CatalogEntry): string {
  const rule = entry.disclosure;
  const title = (field: string) => `${entry.schema.properties[field]?.title ?? field}（${field}）`;
  const months = (n: number) => (n % 12 === 0 ? `${n / 12}年` : `${n}个月`);
  const repair = rule.repair ? '可信用修复' : '不适用信用修复';
  switch (rule.period) {
    case 'not-public':
      return `不向社会公示；${repair}`;
    case 'while-current':
      return `自${title(rule.from)}起，记录有效期间持续公示；${repair}`;
    case 'until-field':
      return `自${title(rule.from)}起公示至${title(rule.until)}（含当日），未填则${rule.repair ? `公示至失信信息最长公示期${months(LONGEST_DISCLOSURE_MONTHS)}届满` : '长期'}；${repair}${rule.repairAfterMonths ? `（${months(rule.repairAfterMonths)}后）` : ''}`;
    case 'by-severity': {
      const periods = SEVERITIES.map((severity) => {
        const period = rule.periods[severity];
        return `${severity} ${period.minMonths === 0 ? '即可修复' : `最短${months(period.minMonths)}`}、最长${months(period.maxMonths)}`;
      }).join('；');
      const how =
        'fixed' in rule.severity
          ? `失信程度为${rule.severity.fixed}`
          : `失信程度按${title(rule.severity.field)}确定${fromTextClause(rule.severity.fromText, title)}，无法确定的按${rule.severity.default}`;
      const until = rule.until ? `；填有${title(rule.until)}的，在最短、最长公示期之间以其为准` : '';
      const minor = `；轻微的原则上不公示${rule.until ? `，填有${title(rule.until)}的公示至该日` : ''}`;
      return `自${title(rule.from)}起算（${how}）：${periods}${until}${minor}；最短公示期届满后${repair}`;
    }
  }
}

/** The values whose severity another field's text decides, in words (empty when there are none). */
function fromTextClause(
  fromText: Record<string, SeverityFromText> | undefined,
  title: (field: string) => string,
): string {
  const parts = Object.entries(fromText ?? {}).map(
    ([value, how]) =>
      `“${value}”按${title(how.field)}所写（${Object.entries(how.terms)
        .map(([term, severity]) => `${term}：${severity}`)
        .join('，')}）`,
  );
  return parts.length > 0 ? `，其中${parts.join('；')}` : '';
}
