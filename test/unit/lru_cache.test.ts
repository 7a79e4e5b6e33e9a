import { expect } from 'chai';

import { LruCache } from '../../src/lru_cache.ts';
import { ManualClock } from '../support/clock.ts';

describe('the bounded cache', () => {
  it('forgets the least recently used entry past its size', () => {
    const cache = new LruCache<string>(2, new ManualClock());
    cache.set('a', 'A', 60);
    cache.set('b', 'B', 60);
    expect(cache.get('a')).to.equal('A');
    cache.set('c', 'C', 60);
    expect(cache.size).to.equal(2);
    expect(cache.get('b'), 'b was the least recently used').to.equal(undefined);
    expect(cache.get('a')).to.equal('A');
    expect(cache.get('c')).to.equal('C');
  });

  it('forgets each entry after its own time to live', () => {
    const clock = new ManualClock();
    const cache = new LruCache<boolean>(10, clock);
    cache.set('short', false, 60);
    cache.set('long', true, 3600);
    clock.advanceSeconds(61);
    expect(cache.get('short')).to.equal(undefined);
    expect(cache.get('long')).to.equal(true);
    clock.advanceSeconds(3600);
    expect(cache.get('long')).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('stays within its size whatever keys it is given', () => {
    const cache = new LruCache<number>(100, new ManualClock());
    for (let index = 0; index < 10_000; index += 1) cache.set(`domain-${index}.example`, index, 60);
    expect(cache.size).to.equal(100);
    expect(cache.get('domain-9999.example')).to.equal(9999);
  });
});
