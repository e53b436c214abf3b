import type { ErrorObject } from 'ajv';
import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry, FieldSchema } from '../catalog/catalog-entry.ts';
import { checkIdentifier, type IdentifierKind, maskResidentId } from '../identifiers/index.ts';
import type { NormalizedRow, NotAfter, ValidatorOptions } from './compile-validator.ts';
import { quoteValue, type RawCell, rawText, withRawCharacter } from './quote-value.ts';

/** A decimal the normalizer left as text because a number would round it (normalize-value.ts). */
const TOO_PRECISE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Turns one ajv error into a RowError with our own code and a Chinese message; `undefined` for noise. The message
 * quotes the cell as sent (`rawCell`), the error's `value` is the normalized one.
 */
export function describeAjvError(
  entry: CatalogEntry,
  row: NormalizedRow,
  error: ErrorObject,
  options: ValidatorOptions,
  notAfter: NotAfter,
  rawCell?: RawCell,
): RowError | undefined {
  if (error.keyword === 'if') return undefined; // its `then` branch reports the real problem
  if (error.keyword === 'required') {
    const field = String(error.params.missingProperty);
    return {
      field,
      code: 'missing-value',
      message: `缺少必填项"${title(entry, field)}"${conditionOf(entry, error.schemaPath)}，请补充后重新报送`,
      value: '',
    };
  }
  const field = error.instancePath.split('/')[1] ?? '*';
  const schema = entry.schema.properties[field];
  const value = row[field] === undefined ? '' : String(row[field]);
  const raw = rawCell?.(field);
  const name = `"${title(entry, field)}"`;
  const at = `${name}的值${quoteValue(value, raw)}`;
  switch (error.keyword) {
    case 'type':
      if (schema?.type === 'number' && TOO_PRECISE.test(value.replace(/[,\s]/g, '')))
        return {
          field,
          code: 'number-too-precise',
          message: `${at}有效数字超过15位，无法不失精度地保存，请核对数值与单位（单位见列名）`,
          value,
        };
      return schema?.type === 'number'
        ? { field, code: 'not-a-number', message: `${at}不是数字，请填写阿拉伯数字（单位见列名）`, value }
        : { field, code: 'wrong-type', message: `${at}类型错误，应为文本`, value };
    case 'format':
      return describeFormat(field, name, value, raw, String(error.params.format), options);
    case 'x-codeList':
      return {
        field,
        code: 'not-in-code-list',
        message: `${at}不在代码表中，可选值：${codeListText(schema)}`,
        value,
      };
    case 'x-notFuture':
      return {
        field,
        code: 'date-in-future',
        message: notAfter.received
          ? `${at}晚于平台接收该数据的日期 ${notAfter.day}：决定/形成日期不能晚于报送日期，请核对日期`
          : `${at}晚于今天 ${notAfter.day}，决定/形成日期不能是将来的日期`,
        value,
      };
    case 'x-maxDecimals':
      return {
        field,
        code: 'too-many-decimals',
        message: `${at}小数位数过多，最多保留${schema?.['x-maxDecimals']}位小数`,
        value,
      };
    case 'minimum':
      return { field, code: 'negative-amount', message: `${at}不能为负数`, value };
    case 'maxLength':
      return {
        field,
        code: 'too-long',
        message: `${name}超过最大长度${error.params.limit}个字符（实际${value.length}个）`,
        value,
      };
    default:
      return {
        field,
        code: `schema-${error.keyword}`,
        message: `${at}不符合目录要求（${error.message}）`,
        value,
      };
  }
}

function describeFormat(
  field: string,
  name: string,
  value: string,
  raw: string | undefined,
  format: string,
  options: ValidatorOptions,
): RowError {
  if (format === 'cn-date') {
    return {
      field,
      code: 'invalid-date',
      message: `${name}的值${quoteValue(value, raw)}不是有效日期，请填写真实存在的日期，格式如 2026-03-05`,
      value,
    };
  }
  const { normalized, problem } = checkIdentifier(format as IdentifierKind, value, options);
  // A resident ID found in a code column is named masked: the message travels where IDs must not.
  const shown = problem?.personal
    ? `"${maskResidentId(raw === undefined ? normalized : rawText(value, raw))}"`
    : quoteValue(value, raw);
  const why = problem ? withRawCharacter(problem.message, normalized, raw) : '格式不正确';
  return {
    field,
    code: problem?.code ?? `invalid-${format}`,
    message: `${name}的值${shown}有误：${why}`,
    value,
  };
}

function title(entry: CatalogEntry, field: string): string {
  return entry.schema.properties[field]?.title ?? field;
}

function codeListText(schema: FieldSchema | undefined): string {
  const codeList = schema?.['x-codeList'];
  if (!codeList) return '';
  const values = codeList.values.join('、');
  const other = codeList.otherPrefix ? `，或"${codeList.otherPrefix}具体名称"` : '';
  const several = codeList.multiple ? '（多个值用分号隔开）' : '';
  return `${values}${other}${several}`;
}

/** For a `then: { required }` inside `allOf[i]`, the `if` condition in words: `（行政相对人类别为"自然人"时）`. */
function conditionOf(entry: CatalogEntry, schemaPath: string): string {
  const match = /^#\/allOf\/(\d+)\/then\//.exec(schemaPath);
  if (!match) return '';
  const branch = (entry.schema.allOf as { if?: { properties?: Record<string, { const?: unknown }> } }[])[
    Number(match[1])
  ];
  const [field, condition] = Object.entries(branch?.if?.properties ?? {})[0] ?? [];
  if (!field || condition?.const === undefined) return '';
  return `（${title(entry, field)}为"${String(condition.const)}"时必填）`;
}
