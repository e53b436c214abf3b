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
  { href: '/pipelines', label: '管道', roles: STAFF_ROLES },
  { href: '/catalog', label: '目录', roles: STAFF_ROLES },
];

/** Where a user lands after login: the first page their role may open. */
export function homeOf(role: ConsoleRole): string {
  return NAV_ITEMS.find((item) => item.roles.includes(role))?.href ?? '/account';
}
