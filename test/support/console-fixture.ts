import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { TRANSPORTS } from '../../connectors/registry.ts';
import { loadConfig, PROJECT_ROOT } from '../../src/config/config.ts';
import type { ConsoleDeps } from '../../src/console/console-deps.ts';
import { buildConsole } from '../../src/console/console-server.ts';
import { consoleSettingsFrom } from '../../src/console/console-settings.ts';
import type { ConsoleRole } from '../../src/console/console-user.ts';
import { hashPassword } from '../../src/console/password-hash.ts';
import { createLogger } from '../../src/log/logger.ts';
import { loadPipelines } from '../../src/pipelines/load-pipelines.ts';
import { addConsoleUser } from '../../src/warehouse/console-users-repository.ts';
import { openWarehouseFixture, type WarehouseFixture } from './warehouse-fixture.ts';

/** Debian's chromium, as CI installs it; tests that need it skip (saying so) where it is absent. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = (): boolean => existsSync(CHROMIUM);
/** Screenshots of the console's pages, kept as CI artifacts and linked from docs/console.md. */
export const CONSOLE_ARTIFACTS = path.join(PROJECT_ROOT, 'reports', 'artifacts', 'console');

/** The users every console fixture has: one per role (the provider reports for PROVINCE_XZCF's provider). */
export const CONSOLE_USERS = {
  viewer: { name: 'viewer', password: 'viewer-password-1' },
  auditor: { name: 'auditor', password: 'auditor-password-1' },
  admin: { name: 'admin', password: 'admin-password-1' },
  provider: { name: 'provider', password: 'provider-password-1', providerCode: '113700000000000000' },
} as const satisfies Record<ConsoleRole, { name: string; password: string; providerCode?: string }>;

export interface ConsoleFixture {
  /** The warehouse behind the console: ingest into it (`fx.ingest`), read it as owner (`fx.owner`). */
  fx: WarehouseFixture;
  app: FastifyInstance;
  deps: ConsoleDeps;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** A fresh browser context (own cookies) logged in as `role`, or not logged in without one. */
  page(role?: ConsoleRole): Promise<Page>;
  /** A plain HTTP client (fetch, its own cookie), logged in as `role` through POST /login, or not logged in. */
  http(role?: ConsoleRole): Promise<ConsoleHttp>;
  /** Logs a page in through the login form (as a person would). */
  login(page: Page, role: ConsoleRole): Promise<void>;
  close(): Promise<void>;
}

/** A session over plain HTTP: redirects are not followed, so a test sees each 303. */
export interface ConsoleHttp {
  get(path: string): Promise<Response>;
  /** A form POST; `_csrf` is added from the session unless the form has one (a test of refusal gives its own). */
  post(path: string, form?: Record<string, string>, options?: { csrf?: boolean }): Promise<Response>;
  /** The session's CSRF token, read from a page's hidden field. */
  csrfToken(): Promise<string>;
  cookie: string | undefined;
}

export interface ConsoleFixtureOptions {
  /** Default the project's pipelines/. */
  pipelinesDir?: string;
  /** Changes to the deps (e.g. a transport registry with a test transport). */
  deps?: Partial<ConsoleDeps>;
  /** Start Chromium (default true when it is installed); without it, only `app.inject` / fetch. */
  browser?: boolean;
}

/**
 * A console on a fresh migrated warehouse, listening on 127.0.0.1 (a free port), with a user of each role, and
 * (where Chromium is installed) a browser to drive it. For console tests of every page (console-pages,
 * legacy-direct reuse it).
 */
export async function openConsoleFixture(
  label: string,
  options: ConsoleFixtureOptions = {},
): Promise<ConsoleFixture> {
  const fx = await openWarehouseFixture(label);
  const logger = createLogger({ logFile: path.join(fx.scratch, 'console.log'), console: false });
  const pipelinesDir = options.pipelinesDir ?? path.join(PROJECT_ROOT, 'pipelines');
  const deps: ConsoleDeps = {
    warehouse: fx.warehouse,
    config: loadConfig(),
    catalog: fx.catalog,
    logger,
    settings: { ...consoleSettingsFrom({}), port: 0 },
    loadPipelines: () => loadPipelines(pipelinesDir, TRANSPORTS),
    transports: TRANSPORTS,
    stagingDir: path.join(fx.scratch, 'staging'),
    ...options.deps,
  };
  for (const [role, user] of Object.entries(CONSOLE_USERS) as [
    ConsoleRole,
    (typeof CONSOLE_USERS)[ConsoleRole],
  ][]) {
    await addConsoleUser(fx.warehouse, {
      name: user.name,
      role,
      providerCode: 'providerCode' in user ? user.providerCode : undefined,
      passwordHash: await hashPassword(user.password),
    });
  }
  const app = await buildConsole(deps);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  let browser: Browser | undefined;
  if ((options.browser ?? true) && hasChromium()) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }
  const login = async (page: Page, role: ConsoleRole) => {
    await page.goto(`${baseUrl}/login`);
    await page.fill('input[name=name]', CONSOLE_USERS[role].name);
    await page.fill('input[name=password]', CONSOLE_USERS[role].password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  };
  const http = async (role?: ConsoleRole): Promise<ConsoleHttp> => {
    const client: ConsoleHttp = {
      cookie: undefined,
      get: (target) =>
        fetch(baseUrl + target, {
          redirect: 'manual',
          headers: client.cookie ? { cookie: client.cookie } : {},
        }),
      async post(target, form = {}, { csrf = true } = {}) {
        const body = new URLSearchParams(form);
        if (csrf && !body.has('_csrf')) body.set('_csrf', await client.csrfToken());
        return fetch(baseUrl + target, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(client.cookie ? { cookie: client.cookie } : {}),
          },
          body,
        });
      },
      async csrfToken() {
        const text = await (await client.get('/account')).text();
        return /name="_csrf" value="([^"]*)"/.exec(text)?.[1] ?? '';
      },
    };
    if (role) {
      const response = await fetch(`${baseUrl}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: CONSOLE_USERS[role].name, password: CONSOLE_USERS[role].password }),
      });
      const cookie = response.headers.get('set-cookie')?.split(';')[0];
      if (response.status !== 303 || !cookie)
        throw new Error(`login as ${role} failed: HTTP ${response.status}`);
      client.cookie = cookie;
    }
    return client;
  };
  return {
    fx,
    app,
    deps,
    baseUrl,
    http,
    async page(role) {
      if (!browser)
        throw new Error(`${CHROMIUM} is not installed: guard the test with it.skipIf(!hasChromium())`);
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
      const page = await context.newPage();
      if (role) await login(page, role);
      return page;
    },
    login,
    async close() {
      await browser?.close();
      await app.close();
      await fx.close();
    },
  };
}
