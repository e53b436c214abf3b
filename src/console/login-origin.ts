import type { FastifyRequest } from 'fastify';

/**
 * Why a login POST did not come from the console's own login page, or undefined when it did (or when the client
 * does not say: curl, scripts and the tests send neither header). The login is the one form without a CSRF token
 * (nobody is logged in yet), so a page elsewhere could post the attacker's name and password to it and log a
 * staff member's browser into the attacker's account (login CSRF). Browsers say where a request comes from:
 *
 * - `Sec-Fetch-Site`: `cross-site` is another site; `same-site` is refused too, since another host of the same
 *   site (a sibling subdomain) is not the console, and SameSite=Strict cookies treat it as first party. The
 *   console's own form posts as `same-origin`; `none` is a request the person started themselves.
 * - `Origin`: must name this console, compared by host (and port) with the request's own, as Fastify reads it
 *   after its trustProxy handling (X-Forwarded-Host only from a trusted proxy; docs/console.md's nginx passes
 *   `Host $host`). The scheme is not compared: behind a TLS-terminating proxy without trust-proxy settings the
 *   console sees http for what the browser calls https. `null` (a sandboxed frame, a redirect across sites) is no
 *   origin of this console either.
 */
export function foreignLoginOrigin(request: FastifyRequest): string | undefined {
  const site = headerOf(request, 'sec-fetch-site')?.toLowerCase();
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site: ${site}`;
  const origin = headerOf(request, 'origin');
  if (origin === undefined) return undefined;
  let given: URL;
  let own: URL;
  try {
    given = new URL(origin);
    // The same scheme as the Origin's, so that a default port (`:443`, `:80`) is dropped from both alike.
    own = new URL(`${given.protocol}//${request.host}`);
  } catch {
    return `Origin: ${origin.slice(0, 200)}`;
  }
  if (given.origin === 'null' || given.host.toLowerCase() !== own.host.toLowerCase())
    return `Origin: ${origin.slice(0, 200)}`;
  return undefined;
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}
