import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/console/password-hash.ts';
import { createConsoleSession, findOpenSession } from '../src/warehouse/console-sessions-repository.ts';
import {
  addConsoleUser,
  disableConsoleUser,
  findConsoleUser,
  setConsolePassword,
} from '../src/warehouse/console-users-repository.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review finding: the engine's login (credit_etl_loader) may UPDATE console_users.password_hash (019: `credit-etl
 * users` runs as the loader), so one UPDATE took over an auditor's account silently: the date of the last change
 * stayed, the auditor's session stayed open, and the old hash could be put back. Migration 061 takes a change only
 * as `users password|disable` makes it, and a new password ends the user's sessions whoever sets it.
 */
const FORGED = 'scrypt$32768$8$1$Zm9yZ2Vk$Zm9yZ2Vk';

describe('console users change only as `credit-etl users` changes them (061)', { timeout: 120_000 }, () => {
  let fx: WarehouseFixture;
  let auditor: number;
  const session = async (token: string) =>
    createConsoleSession(fx.warehouse, {
      userId: auditor,
      tokenSha256: token,
      csrfToken: 'csrf',
      ip: '10.0.0.8',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
  const stored = async () =>
    fx.owner('console_users').where({ id: auditor }).first('password_hash', 'password_changed_at');

  beforeAll(async () => {
    fx = await openWarehouseFixture('console_users_as_users');
    auditor = await addConsoleUser(fx.warehouse, {
      name: 'wang.fang',
      role: 'auditor',
      passwordHash: await hashPassword('old password 1'),
    });
  }, 120_000);
  afterAll(async () => fx?.close());

  it('the loader may not set a password silently: without its date it is refused, nothing changed', async () => {
    await session('a'.repeat(64));
    const before = await stored();
    await expect(
      fx.warehouse('console_users').where({ id: auditor }).update({ password_hash: FORGED }),
    ).rejects.toThrow('的密码只能随 password_changed_at（本次更改的时间）一起更改');
    await expect(
      fx
        .warehouse('console_users')
        .where({ id: auditor })
        .update({ password_hash: FORGED, password_changed_at: new Date('2026-01-01T00:00:00Z') }),
    ).rejects.toThrow('password_changed_at set to the time of the change');
    // Nor move the date to hide a change, nor may the owner, while triggers are on.
    for (const warehouse of [fx.warehouse, fx.owner]) {
      await expect(
        warehouse('console_users')
          .where({ id: auditor })
          .update({ password_changed_at: new Date('2026-01-01T00:00:00Z') }),
      ).rejects.toThrow('只随新密码改变');
    }
    expect(await stored()).toEqual(before);
    expect(await findOpenSession(fx.warehouse, 'a'.repeat(64))).toBeDefined();
  });

  it('a new password, however set, carries its date and ends the open sessions', async () => {
    await fx.warehouse.transaction(async (trx) => {
      await trx('console_users')
        .where({ id: auditor })
        .update({ password_hash: FORGED, password_changed_at: trx.fn.now() });
    });
    expect(await findOpenSession(fx.warehouse, 'a'.repeat(64))).toBeUndefined();
    // `users password` as before: the new password works, the sessions opened since end.
    await session('b'.repeat(64));
    expect(await setConsolePassword(fx.warehouse, 'wang.fang', await hashPassword('new password 2'))).toBe(
      true,
    );
    const user = await findConsoleUser(fx.warehouse, 'wang.fang');
    expect(await verifyPassword('new password 2', user!.password_hash)).toBe(true);
    expect(await findOpenSession(fx.warehouse, 'b'.repeat(64))).toBeUndefined();
  });

  it('a user is disabled once, at the time it is done, and never enabled again', async () => {
    await expect(
      fx
        .warehouse('console_users')
        .where({ id: auditor })
        .update({ disabled_at: new Date('2030-01-01T00:00:00Z') }),
    ).rejects.toThrow('只能停用一次');
    await session('c'.repeat(64));
    expect(await disableConsoleUser(fx.warehouse, 'wang.fang')).toBe(true);
    expect(await findOpenSession(fx.warehouse, 'c'.repeat(64))).toBeUndefined();
    for (const disabledAt of [null, new Date('2026-01-01T00:00:00Z')]) {
      await expect(
        fx.warehouse('console_users').where({ id: auditor }).update({ disabled_at: disabledAt }),
      ).rejects.toThrow('never enabled again');
    }
    expect(await fx.owner('console_users').where({ id: auditor }).first('disabled_at')).not.toEqual({
      disabled_at: null,
    });
  });
});
