import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../console-deps.ts';
import { registerCatalogPage } from './catalog-page.ts';
import { registerLoginPage } from './login-page.ts';
import { registerPipelinesPage } from './pipelines-page.ts';
import { registerRunPage } from './run-page.ts';
import { registerRunsPage } from './runs-page.ts';

export type RegisterPage = (app: FastifyInstance, deps: ConsoleDeps) => void | Promise<void>;

/** Every page of the console, registered in this order (one line each; the navigation is in ../nav.ts). */
export const PAGES: readonly RegisterPage[] = [
  registerLoginPage,
  registerRunsPage,
  registerRunPage,
  registerPipelinesPage,
  registerCatalogPage,
];
