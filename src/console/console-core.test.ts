import { describe, expect, it } from 'vitest';
import { html, raw } from './html.ts';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.ts';
import { hashPassword, SCRYPT_PARAMETERS, verifyPassword } from './password-hash.ts';

describe('html``', () => {
  it('escapes every value, joins arrays, passes fragments and raw() through', () => {
    const name = '<script>alert("x")</script>&\'';
    const out = html`<td title="${name}">${name}</td>${[1, 2].map((n) => html`<i>${n}</i>`)}${raw('<b>ok</b>')}${undefined}${false}`;
    expect(out.text).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td><i>1</i><i>2</i><b>ok</b>',
    );
  });
});

describe('password hashes (scrypt)', () => {
  it('verifies the right password only, with a salt of its own per hash and its parameters stored', async () => {
    const first = await hashPassword('正确的密码-correct');
    const second = await hashPassword('正确的密码-correct');
    expect(first).not.toBe(second);
    expect(first.split('$').slice(0, 4)).toEqual(['scrypt', String(SCRYPT_PARAMETERS.N), '8', '1']);
    expect(await verifyPassword('正确的密码-correct', first)).toBe(true);
    expect(await verifyPassword('正确的密码-correct ', first)).toBe(false);
    expect(await verifyPassword('anything', 'not-a-hash')).toBe(false);
  });
});

describe('the login throttle', () => {
  /** One attempt let in and told at once: what waitFor + fail were. */
  const failOnce = async (throttle: LoginThrottle, address: string, name: string) => {
    const turn = await throttle.begin(address, name);
    if ('refusedForMs' in turn) return turn.refusedForMs;
    turn.attempt.failed();
    return 0;
  };
  const refusedFor = async (throttle: LoginThrottle, address: string, name: string) => {
    const turn = await throttle.begin(address, name);
    if ('refusedForMs' in turn) return turn.refusedForMs;
    turn.attempt.abandoned();
    return 0;
  };

  it('refuses a name after 5 failures until the oldest is 15 minutes old; an address after 20', async () => {
    let now = 0;
    const throttle = createLoginThrottle(undefined, () => now);
    for (let i = 0; i < 5; i++) {
      expect(await failOnce(throttle, '10.0.0.1', 'li')).toBe(0);
      now += 1000;
    }
    expect(await refusedFor(throttle, '10.0.0.9', 'LI')).toBe(15 * 60_000 - 5000);
    expect(await refusedFor(throttle, '10.0.0.1', 'wang')).toBe(0);
    now = 15 * 60_000 + 1;
    expect(await refusedFor(throttle, '10.0.0.9', 'li')).toBe(0);
    for (let i = 0; i < 20; i++) expect(await failOnce(throttle, '10.0.0.2', `user${i}`)).toBe(0);
    expect(await refusedFor(throttle, '10.0.0.2', 'someone-else')).toBeGreaterThan(0);
  });

  it('counts an attempt from when it is let in: parallel ones wait for those being checked, never more than 5', async () => {
    const throttle = createLoginThrottle(undefined, () => 0);
    const first = await Promise.all(Array.from({ length: 5 }, () => throttle.begin('10.0.0.1', 'li')));
    expect(first.every((turn) => 'attempt' in turn)).toBe(true);
    // A sixth, and the right password after it, wait: the five being checked decide them.
    let decided = false;
    const later = Promise.all([throttle.begin('10.0.0.1', 'li'), throttle.begin('10.0.0.3', 'LI')]).then(
      (turns) => {
        decided = true;
        return turns;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(decided).toBe(false);
    for (const turn of first) if ('attempt' in turn) turn.attempt.failed();
    expect((await later).map((turn) => 'refusedForMs' in turn)).toEqual([true, true]);
  });

  it('lets waiting attempts in when those being checked were right, or broke off', async () => {
    const throttle = createLoginThrottle(undefined, () => 0);
    for (let i = 0; i < 4; i++) await failOnce(throttle, '10.0.0.1', 'li');
    const checking = await throttle.begin('10.0.0.1', 'li');
    const waiting = throttle.begin('10.0.0.1', 'li');
    if (!('attempt' in checking)) throw new Error('the fifth attempt was refused');
    checking.attempt.succeeded();
    const next = await waiting;
    expect('attempt' in next).toBe(true);
    if ('attempt' in next) next.attempt.abandoned();
    // The good login cleared the name's failures, so five more may be checked.
    for (let i = 0; i < 5; i++) expect(await failOnce(throttle, '10.0.0.1', 'li')).toBe(0);
    expect(await refusedFor(throttle, '10.0.0.1', 'li')).toBeGreaterThan(0);
  });
});
