/** The authority of the model rows below (a valid USCC of an organ of state, 11…). */
export const MODEL_AUTHORITY = '1137010000010001XF';

/**
 * A valid 行政处罚 row keyed by the national field codes (CF_…), as the validator sees it after normalization:
 * an organisation fined by Jinan's market regulator. Tests change the cells they are about.
 */
export const modelPenalty = (overrides: Record<string, string> = {}): Record<string, string> => ({
  CF_XDR_MC: '济南示例餐饮有限公司',
  CF_XDR_LB: '法人及非法人组织',
  CF_XDR_SHDM: '91350100M000100Y43',
  CF_FRDB: '王五',
  CF_WSH: '济市监罚〔2026〕1号',
  CF_WFXW: '违反食品安全法',
  CF_SY: '经营过期食品',
  CF_YJ: '食品安全法第一百二十四条',
  CF_CFLB: '罚款',
  CF_NR: '罚款5000元',
  CF_JDRQ: '2026-10-12',
  CF_YXQ: '2027-10-12',
  CF_CFJG: '济南市市场监督管理局',
  CF_CFJGDM: MODEL_AUTHORITY,
  CF_SJLY: '济南市市场监督管理局',
  CF_SJLYDM: MODEL_AUTHORITY,
  ...overrides,
});
