import { describe, expect, it } from 'vitest';
import { html, raw } from './html.ts';
import { createLoginThrottle } from './login-throttle.ts';
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
  it('refuses a name after 5 failures until the oldest is 15 minutes old; an address after 20', () => {
    let now = 0;
    const throttle = createLoginThrottle(undefined, () => now);
    for (let i = 0; i < 5; i++) {
      expect(throttle.waitFor('10.0.0.1', 'li')).toBe(0);
      throttle.fail('10.0.0.1', 'li');
      now += 1000;
    }
    expect(throttle.waitFor('10.0.0.9', 'LI')).toBe(15 * 60_000 - 5000);
    expect(throttle.waitFor('10.0.0.1', 'wang')).toBe(0);
    now = 15 * 60_000 + 1;
    expect(throttle.waitFor('10.0.0.9', 'li')).toBe(0);
    for (let i = 0; i < 20; i++) throttle.fail('10.0.0.2', `user${i}`);
    expect(throttle.waitFor('10.0.0.2', 'someone-else')).toBeGreaterThan(0);
  });
});
