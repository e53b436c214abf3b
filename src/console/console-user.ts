import { CONSOLE_ROLES } from '../warehouse/console-users-repository.ts';

export { CONSOLE_ROLES };
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** Who is logged in: what every page and action decides on (`request.user`). */
export interface ConsoleUser {
  id: number;
  name: string;
  role: ConsoleRole;
  /** Provider role only: the provider (USCC) whose own deliveries the user uploads and sees. */
  providerCode?: string;
}

export const ROLE_LABELS: Readonly<Record<ConsoleRole, string>> = {
  viewer: '查看员',
  auditor: '审计员',
  admin: '管理员',
  provider: '报送单位',
};

/** The platform's staff: every role but a provider, who sees its own direct reporting and nothing else. */
export const STAFF_ROLES = ['viewer', 'auditor', 'admin'] as const satisfies readonly ConsoleRole[];

/** Only an auditor sees resident ID numbers unmasked, and each time it is logged (logUnmaskedView). */
export const canUnmask = (user: ConsoleUser | undefined): boolean => user?.role === 'auditor';
