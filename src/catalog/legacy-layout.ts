import type { FieldSchema } from './catalog-entry.ts';

/**
 * An older national layout of an entry (the 2016 双公示 layouts), kept as a version of the entry and mapped onto
 * the current model. The version's `schema.properties` are the current model's fields this layout carries or
 * derives, titled with the old column names (so a message names the column the provider sent); the old columns
 * that are no field of the model are `sourceFields`. Rows are stored in the current model's field codes, so a
 * delivery in the old layout and a later one in the current layout of the same decision meet under one key.
 */
export interface LegacyLayout {
  /** The layout's name, e.g. 2016年全国“双公示”行政处罚数据标准. */
  edition: string;
  /**
   * Old columns that are no field of the model (处罚类别2, 当前状态, 地方编码, 数据更新时间戳): read and
   * normalized, used by derivations and kept as the row's source values, never stored in the record's content.
   */
  sourceFields: Record<string, FieldSchema>;
  /** Columns a file in this layout must have, besides the schema's required fields that are no derivation's target. */
  requiredColumns?: string[];
  /** How the old layout's values become the model's, applied in order after normalization, before validation. */
  derivations: Derivation[];
  /** The model's fields this layout cannot carry: recorded as absent, never invented. */
  absent: string[];
}

export type Derivation =
  /** The non-empty values of `from`, joined as one `;` list (处罚类别1 + 处罚类别2 → 处罚类别). */
  | { derive: 'join'; from: string[]; to: string }
  /** `value` when `when` is filled and `to` is empty (居民身份证号 filled → 证件类型 身份证). */
  | { derive: 'value-when-filled'; when: string; to: string; value: string }
  /**
   * The subject type from which code is filled, when `to` is empty: a resident ID → `natural`, a USCC of one of
   * `individualCategories` (92) → `individual`, else `other`.
   */
  | {
      derive: 'subject-type';
      to: string;
      residentId: string;
      uscc: string;
      individualCategories: string[];
      natural: string;
      individual: string;
      other: string;
    }
  /** `to` looked up by the value of `from` in the pipeline's `lookups[table]`, when `to` is empty. */
  | { derive: 'lookup'; from: string; to: string; table: string };

/** The fields a derivation reads. */
export function derivationSources(derivation: Derivation): string[] {
  switch (derivation.derive) {
    case 'join':
      return derivation.from;
    case 'value-when-filled':
      return [derivation.when];
    case 'subject-type':
      return [derivation.residentId, derivation.uscc];
    case 'lookup':
      return [derivation.from];
  }
}

/** The columns a file in the layout must have: required fields that are no derivation's target, and requiredColumns. */
export function requiredColumnsOf(required: string[], layout: LegacyLayout | undefined): string[] {
  if (!layout) return required;
  const targets = new Set(layout.derivations.map((derivation) => derivation.to));
  return [...required.filter((code) => !targets.has(code)), ...(layout.requiredColumns ?? [])];
}
