import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';

describe('the console (serve) answers /metrics and /healthz without a session', () => {
  let console: ConsoleFixture;

  beforeAll(async () => {
    console = await openConsoleFixture('metrics_console', { browser: false });
  });
  afterAll(async () => console?.close());

  it('serves the Prometheus text and the database status to a scraper with no cookie', async () => {
    const metrics = await fetch(`${console.baseUrl}/metrics`, { redirect: 'manual' });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^credit_etl_warehouse_up\{component="serve"\} 1$/m);
    const health = await fetch(`${console.baseUrl}/healthz`, { redirect: 'manual' });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', component: 'serve', database: 'up' });
    // The pages themselves still want a login.
    expect((await fetch(`${console.baseUrl}/runs`, { redirect: 'manual' })).status).toBe(303);
  });
});
