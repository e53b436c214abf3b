import { type ProviderQuality, percent, SCORE_WEIGHTS } from './quality-stats.ts';

/** The bulletin's table, shared by the XLSX and the HTML versions so both say the same. */
export const QUALITY_HEADERS = [
  '排名',
  '报送单位',
  '代码',
  '层级',
  '报送行数',
  '入库行数',
  '拒收行数',
  '整体退回行数',
  '拒收率',
  '迟报率',
  '冲突数',
  '目录覆盖',
  '得分',
  '上期得分',
  '变化',
] as const;

const LEVEL_TITLES: Record<string, string> = { province: '省级', city: '市级', county: '县级' };

export function qualityCells(row: ProviderQuality): (string | number)[] {
  const { current } = row;
  const expected = row.expectedEntries.length;
  const covered = row.expectedEntries.filter((code) => current.deliveredEntries.includes(code)).length;
  return [
    row.rank,
    row.name,
    row.code,
    LEVEL_TITLES[row.level] ?? row.level,
    current.delivered,
    current.accepted,
    current.rejected,
    current.held,
    percent(current.rejectionRate),
    percent(current.lateRate),
    current.conflicts,
    expected === 0 ? '—' : `${covered}/${expected}（${percent(current.coverage)}）`,
    current.score,
    row.previous.score,
    row.trend > 0 ? `+${row.trend}` : String(row.trend),
  ];
}

/**
 * The same cells for a workbook: rates and the change are numbers (with the formats in `QUALITY_NUMBER_FORMATS`),
 * so they sort and sum, and a change of +68.8 is not text that begins with a plus sign.
 */
export function qualityXlsxCells(row: ProviderQuality): (string | number)[] {
  const cells = qualityCells(row);
  const { current } = row;
  cells[8] = current.rejectionRate ?? '—';
  cells[9] = current.lateRate ?? '—';
  cells[14] = row.trend;
  return cells;
}

/** Excel number formats of the workbook's numeric columns, by 0-based column. */
export const QUALITY_NUMBER_FORMATS: Readonly<Record<number, string>> = {
  8: '0.0%',
  9: '0.0%',
  14: '+0.0;-0.0;0',
};

/** How the figures are defined, printed with every bulletin. */
export const QUALITY_DEFINITIONS: [string, string][] = [
  ['报送行数', '本期接收的全部数据行（入库、冲突、拒收、整体退回行数之和），按文件接收日期（北京时间）计'],
  ['入库行数', '新增、更新、未变化、合并、撤回的行（冲突、拒收与整体退回除外）'],
  ['拒收行数', '未通过校验的行，含整体退回文件中未通过校验的行'],
  [
    '整体退回行数',
    '拒收超过阈值、整个文件退回报送单位未入库的文件中通过校验的行（这些文件未通过校验的行计入拒收行数）',
  ],
  ['拒收率', '拒收行数 ÷ 报送行数'],
  ['迟报率', '超过形成之日起7个工作日报送的行 ÷ 通过校验的行（第十条）'],
  ['冲突数', '与更高层级渠道或同级其他报送单位的现行数据不一致、未予采用的行（第十三条省市互补）'],
  ['目录覆盖', '本期报送的目录数 ÷ 应报送目录数（config/providers.json），应归尽归'],
  [
    '得分',
    `${SCORE_WEIGHTS.acceptance}×(1−拒收率) + ${SCORE_WEIGHTS.timeliness}×(1−迟报率) + ${SCORE_WEIGHTS.coverage}×目录覆盖；本期未报送为0分`,
  ],
  ['变化', '本期得分 − 上期（等长的前一周期）得分'],
];
