import type { Warehouse } from './connect-warehouse.ts';
import type { ConsoleRoleName } from './console-users-repository.ts';

/** An open session with its user, as the console checks it on every request. */
export interface OpenSession {
  session_id: number;
  csrf_token: string;
  expires_at: Date;
  user_id: number;
  name: string;
  role: ConsoleRoleName;
  provider_code: string | null;
}

export async function createConsoleSession(
  warehouse: Warehouse,
  session: { userId: number; tokenSha256: string; csrfToken: string; ip: string; expiresAt: Date },
): Promise<number> {
  const [row] = await warehouse('console_sessions')
    .insert({
      user_id: session.userId,
      token_sha256: session.tokenSha256,
      csrf_token: session.csrfToken,
      ip: session.ip,
      expires_at: session.expiresAt,
    })
    .returning<{ id: number }[]>('id');
  return row!.id;
}

/** The session a token's hash names, if it is neither ended nor expired and its user is not disabled. */
export async function findOpenSession(
  warehouse: Warehouse,
  tokenSha256: string,
): Promise<OpenSession | undefined> {
  return warehouse('console_sessions as s')
    .join('console_users as u', 'u.id', 's.user_id')
    .where('s.token_sha256', tokenSha256)
    .whereNull('s.ended_at')
    .whereNull('u.disabled_at')
    .where('s.expires_at', '>', warehouse.fn.now())
    .first<OpenSession | undefined>(
      's.id as session_id',
      's.csrf_token',
      's.expires_at',
      'u.id as user_id',
      'u.name',
      'u.role',
      'u.provider_code',
    );
}

export async function endConsoleSession(warehouse: Warehouse, sessionId: number): Promise<void> {
  await warehouse('console_sessions')
    .where({ id: sessionId })
    .whereNull('ended_at')
    .update({ ended_at: warehouse.fn.now() });
}
