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
  // Last, apart from the scored figures: it weighs in nothing.
  '重复报送行数',
] as const;

const LEVEL_TITLES: Record<string, string> = { province: '省级', city: '市级', county: '县级' };

export function qualityCells(row: ProviderQuality): (string | number)[] {
  const { current } = row;
  const expected = row.expectedEntries.length;
  const covered = row.expectedEntries.filter((code) => current.deliveredEntries.includes(code)).length;
  return [
    row.rank,
    row.registered ? row.name : `${row.name}（未登记）`,
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
    row.previous?.score ?? '—',
    row.trend === null ? '—' : row.trend > 0 ? `+${row.trend}` : String(row.trend),
    current.redelivered,
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
  cells[14] = row.trend ?? '—';
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
  [
    '报送行数',
    '本期报送的数据行（入库、冲突、拒收、整体退回行数之和），按文件接收日期（北京时间）计；不含重复报送行数，排名时得分相同者以此为报送规模',
  ],
  ['入库行数', '带来新信息并入库的行：新增、更新、合并、撤回（未变化的重报计入重复报送行数）'],
  ['拒收行数', '未通过校验的行，含整体退回文件中未通过校验的行'],
  [
    '整体退回行数',
    '拒收超过阈值、整个文件退回报送单位未入库的文件中通过校验的行（这些文件未通过校验的行计入拒收行数）',
  ],
  [
    '重复报送行数',
    '未带来新信息的行，不计入报送行数、入库行数、冲突数和迟报率：本单位此前文件已报送、内容未变的行（运行摘要中的“未变化”，如每日全量推送中未变的行；同级其他单位先报送的相同内容、同一文件内的重复行不算重复报送），以及与本单位此前文件中该记录的内容相同、再次报送的冲突行或撤销请求；报送行数 + 重复报送行数 = 本期读取的全部数据行。内容与已载入文件完全相同、未读取即跳过的文件不计行数',
  ],
  [
    '拒收率',
    '拒收行数 ÷ 本期读取的全部数据行（报送行数 + 重复报送行数）；拒收的行未入库，每次报送都计入拒收行数',
  ],
  [
    '迟报率',
    '超过形成之日起7个工作日报送的行 ÷ 通过校验的新数据行（入库行数 + 冲突数；第十条）；记录是否迟报看其首次报送，重复报送不计迟报',
  ],
  [
    '冲突数',
    '与更高层级渠道或同级其他报送单位的现行数据不一致、未予采用的行（第十三条省市互补）；同一冲突内容再次报送的计入重复报送行数',
  ],
  [
    '目录覆盖',
    '本期报送了数据的目录数 ÷ 应报送目录数（config/providers.json），应归尽归：目录的文件至少有一行通过校验（新数据或重复报送）才算报送，空文件或全部拒收的文件不算；与已载入文件完全相同而跳过的文件，按其相同的文件计',
  ],
  [
    '得分',
    `${SCORE_WEIGHTS.acceptance}×(1−拒收率) + ${SCORE_WEIGHTS.timeliness}×(1−迟报率) + ${SCORE_WEIGHTS.coverage}×目录覆盖；本期未报送任何数据（未读取任何行，也无目录覆盖）为0分；只有重复报送的，迟报率为“—”，按满足计分`,
  ],
  [
    '变化',
    '本期得分 − 上期（整月统计的为前一同样月数，否则为等长的前一周期）得分；上期未报送任何文件的，上期得分与变化为“—”',
  ],
  [
    '排名',
    '按得分从高到低，得分相同的报送行数多者在前；得分与报送行数均相同的并列同一名次（如1、1、3），并列者按代码排列；最后N位以红色标出（末位约谈），与其并列者一并标出，标出的可多于N位',
  ],
  [
    '未登记',
    '未列入 config/providers.json 的报送单位（经 --allow-unregistered-provider 报送），无应报送目录，目录覆盖为“—”，按满足计分',
  ],
];
