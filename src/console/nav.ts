import type { ConsoleRole } from './console-user.ts';
import { STAFF_ROLES } from './console-user.ts';

export interface NavItem {
  href: string;
  label: string;
  /** Who sees the link (the route itself checks with requireRole). */
  roles: readonly ConsoleRole[];
}

/** The console's top navigation, in order; each page's engineer adds its line. */
export const NAV_ITEMS: readonly NavItem[] = [
  { href: '/runs', label: '运行记录', roles: STAFF_ROLES },
  { href: '/rejections', label: '拒收数据', roles: STAFF_ROLES },
  { href: '/notices', label: '复核通知', roles: STAFF_ROLES },
  { href: '/quality', label: '质量通报', roles: STAFF_ROLES },
  { href: '/records', label: '记录查询', roles: STAFF_ROLES },
  { href: '/pipelines', label: '管道', roles: STAFF_ROLES },
  { href: '/catalog', label: '目录', roles: STAFF_ROLES },
  { href: '/unmask-log', label: '查看记录', roles: ['auditor', 'admin'] },
  { href: '/direct-report', label: '数据直报', roles: ['provider'] },
];

/** Where a user lands after login: the first page their role may open. */
export function homeOf(role: ConsoleRole): string {
  return NAV_ITEMS.find((item) => item.roles.includes(role))?.href ?? '/account';
}
