import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** A login name holding a resident ID number: stored as typed, printed masked by every `users` command. */
const ID = '370102197503090014';
const NAME = `u${ID}`;
const SHOWN = 'u3701**********0014';
const PASSWORD = 'a-long-password-1';

describe('credit-etl users: a login name holding an ID number', () => {
  let fx: WarehouseFixture;

  const cli = (args: string[], stdin = '') =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') }, { stdin });

  beforeAll(async () => {
    fx = await openWarehouseFixture('users_name_masked');
  }, 120_000);
  afterAll(async () => fx?.close());

  it('is masked in add, list, list --json, password and disable; stored and matched as typed', async () => {
    const outputs: string[] = [];
    const run = async (args: string[], stdin?: string) => {
      const result = await cli(args, stdin);
      outputs.push(result.stdout, result.stderr);
      return result;
    };
    const added = await run(['users', 'add', NAME, '--role', 'viewer', '--password-stdin'], PASSWORD);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe(`user ${SHOWN} added (viewer)\n`);
    const again = await run(['users', 'add', NAME, '--role', 'viewer', '--password-stdin'], PASSWORD);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`user ${SHOWN} exists already`);
    expect(await fx.owner('console_users').pluck('name')).toEqual([NAME]);

    const listed = await run(['users', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const users = JSON.parse(listed.stdout) as { name: string; role: string }[];
    expect(users.map((user) => [user.name, user.role])).toEqual([[SHOWN, 'viewer']]);
    const table = await run(['users', 'list']);
    expect(table.stdout).toContain(SHOWN);

    const changed = await run(['users', 'password', NAME, '--password-stdin'], `${PASSWORD}-2`);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain(`password of ${SHOWN} changed`);
    const disabled = await run(['users', 'disable', NAME]);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toBe(`user ${SHOWN} disabled\n`);
    const twice = await run(['users', 'disable', NAME]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`no enabled user ${SHOWN}`);

    for (const output of outputs) expect(output).not.toContain(ID);
  }, 300_000);
});
