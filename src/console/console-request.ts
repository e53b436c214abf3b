import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleUser } from './console-user.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is logged in; undefined without a valid session (session-auth.ts). */
    user?: ConsoleUser;
    /** The session behind `user`: its id (logout) and its CSRF token (csrf.ts). */
    consoleSession?: { id: number; csrfToken: string };
  }
  interface FastifyContextConfig {
    /** A non-GET route that needs no CSRF token (only the login form: nobody is logged in yet). */
    csrfExempt?: boolean;
  }
}

/** The logged-in user of a route guarded by requireRole (which has already refused everyone else). */
export function userOf(request: FastifyRequest): ConsoleUser {
  if (!request.user) throw new Error(`${request.url}: a page without requireRole(...) asked for the user`);
  return request.user;
}

export type { FastifyReply, FastifyRequest };
