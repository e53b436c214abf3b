import type { Issuer } from '../config/config.ts';

export type { Issuer };

/** When no configuration is given (library use, tests): the defaults of `loadConfig`. */
export const DEFAULT_ISSUER: Issuer = {
  name: '公共信用信息平台',
  contact: undefined,
  documentPrefix: '信用复核',
};

/** A notice's document number as official letters write it: `信用复核〔2026〕5号` (year of issue, notice id). */
export function noticeNumber(issuer: Issuer, issuedOn: string, noticeId: number): string {
  return `${issuer.documentPrefix}〔${issuedOn.slice(0, 4)}〕${noticeId}号`;
}

/** `2026-12-02` as a letter writes a date: `2026年12月2日`. */
export function chineseDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-').map(Number);
  return `${year}年${month}月${day}日`;
}
