/**
 * The cookie keys oidc-provider signs and checks its cookies with (src/http/cookie_keys.ts): what
 * Keygrip signs they accept and the other way round, with every key of a rotation, and nothing
 * else: another key, a changed value, a cut or padded signature, an empty one.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';

import { CookieKeys } from '../../src/http/cookie_keys.ts';

interface KeygripLike {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  index(data: string, digest: string): number;
}

// Keygrip is what Koa's cookies use by default (a dependency of `cookies`, which has no types of its own here).
const Keygrip = createRequire(import.meta.url)('keygrip') as new (keys: string[]) => KeygripLike;

describe('cookie keys', () => {
  const keys = ['new-key-3f9a1c', 'old-key-77b2e0'];
  const data = 'gp_interaction=Qx3v9-abc_DEF';

  it('signs as Keygrip does, and each accepts what the other signed with any key of the rotation', () => {
    const ours = new CookieKeys(keys);
    const theirs = new Keygrip(keys);
    expect(ours.sign(data)).to.equal(theirs.sign(data));
    for (const [index, key] of keys.entries()) {
      const byKeygrip = new Keygrip([key]).sign(data);
      const byUs = new CookieKeys([key]).sign(data);
      expect(byUs).to.equal(byKeygrip);
      expect(ours.index(data, byKeygrip)).to.equal(index);
      expect(theirs.index(data, byUs)).to.equal(index);
      expect(ours.verify(data, byKeygrip)).to.equal(true);
    }
  });

  it('refuses another key, another value, and a cut, padded, changed or empty signature', () => {
    const ours = new CookieKeys(keys);
    const good = ours.sign(data);
    expect(ours.index(data, new CookieKeys(['someone-else']).sign(data))).to.equal(-1);
    expect(ours.index(`${data}x`, good)).to.equal(-1);
    expect(ours.index(data, good.slice(0, -1))).to.equal(-1);
    expect(ours.index(data, `${good}=`)).to.equal(-1);
    expect(ours.index(data, `${good[0] === 'A' ? 'B' : 'A'}${good.slice(1)}`)).to.equal(-1);
    expect(ours.index(data, '')).to.equal(-1);
    expect(ours.verify(data, 'x'.repeat(good.length))).to.equal(false);
  });

  it('follows keys replaced in place, as managed keys replace them', () => {
    const live = ['first-key'];
    const ours = new CookieKeys(live);
    const before = ours.sign(data);
    live.splice(0, Infinity, 'second-key', 'first-key');
    expect(ours.sign(data)).to.not.equal(before);
    expect(ours.index(data, before)).to.equal(1);
  });

  it('needs at least one key', () => {
    expect(() => new CookieKeys([])).to.throw(TypeError);
  });
});
