/**
 * Random bytes from the pool (src/random_pool.ts): the length asked for, never the same bytes
 * twice across the pool's refills, and larger requests straight from the CSPRNG.
 */
import { expect } from 'chai';

import { randomBytesPooled, randomToken } from '../../src/random_pool.ts';

describe('random bytes from the pool', () => {
  it('gives the length asked for, from empty to the largest pooled size and beyond', () => {
    for (const size of [0, 1, 12, 16, 24, 32, 255, 256, 257, 4096, 5000]) expect(randomBytesPooled(size)).to.have.length(size);
    expect(randomToken(32)).to.match(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never hands out the same bytes twice, across many refills of the pool', () => {
    const seen = new Set<string>();
    // 3 000 draws of 24 bytes: some 17 refills of a 4 KB pool, and draws that do not divide it evenly.
    for (let index = 0; index < 3000; index += 1) seen.add(randomToken(24));
    expect(seen.size).to.equal(3000);
  });

  it('hands out copies: changing one changes neither the pool nor the next draw', () => {
    const first = randomBytesPooled(32);
    const copy = Buffer.from(first);
    first.fill(0);
    const second = randomBytesPooled(32);
    expect(second.equals(copy)).to.equal(false);
    expect(second.equals(Buffer.alloc(32))).to.equal(false);
  });
});
