import { expect } from 'chai';

import { forget, forgetAll, outsideRequest, readFresh, readOnce, readOnceShared, remember, withRequestCache } from '../../adapters/request_cache.ts';
import { copyOf } from '../../adapters/shared/copy.ts';

describe('the request cache', () => {
  const counting = () => {
    const reads = { count: 0 };
    const read = async () => {
      reads.count += 1;
      return { version: reads.count, tags: ['a'] };
    };
    return { reads, read };
  };

  it('reads each key once per request, and every request afresh', async () => {
    const { reads, read } = counting();
    const first = await withRequestCache(async () => [await readOnce('k', read), await readOnce('k', read)]);
    expect(first.map((value) => value.version)).to.deep.equal([1, 1]);
    const second = await withRequestCache(() => readOnce('k', read));
    expect(second.version).to.equal(2);
    expect(reads.count).to.equal(2);
  });

  it('shares one answer without copies through readOnceShared, read once per request and every time outside one', async () => {
    const { reads, read } = counting();
    const [first, second] = await withRequestCache(async () => [await readOnceShared('k', read), await readOnceShared('k', read)]);
    expect(second).to.equal(first);
    expect(reads.count).to.equal(1);
    await readOnceShared('k', read);
    await readOnceShared('k', read);
    expect(reads.count).to.equal(3);
  });

  it('reads every time outside a request (the outbox, the CLI)', async () => {
    const { reads, read } = counting();
    await readOnce('k', read);
    await readOnce('k', read);
    expect(reads.count).to.equal(2);
  });

  it('gives each caller its own copy, so one caller changing it changes nothing for the next', async () => {
    const { read } = counting();
    await withRequestCache(async () => {
      const mine = await readOnce('k', read);
      mine.tags.push('changed');
      mine.version = 99;
      expect(await readOnce('k', read)).to.deep.equal({ version: 1, tags: ['a'] });
    });
  });

  it('answers what the request wrote, forgets on request, and keeps no failed read', async () => {
    const { reads, read } = counting();
    await withRequestCache(async () => {
      await readOnce('k', read);
      remember('k', { version: 7, tags: [] });
      expect((await readOnce('k', read)).version).to.equal(7);
      forget('k');
      expect((await readOnce('k', read)).version).to.equal(2);
      forgetAll();
      expect((await readOnce('k', read)).version).to.equal(3);
      let fail = true;
      const flaky = async () => {
        if (fail) throw new Error('store down');
        return 'back';
      };
      await readOnce('f', flaky).catch(() => undefined);
      fail = false;
      expect(await readOnce('f', flaky)).to.equal('back');
    });
    expect(reads.count).to.equal(3);
  });

  it('reads the store every time under readFresh (a probe for another request’s progress)', async () => {
    const { reads, read } = counting();
    await withRequestCache(async () => {
      await readOnce('k', read);
      expect((await readFresh(() => readOnce('k', read))).version).to.equal(2);
      expect((await readFresh(() => readOnce('k', read))).version).to.equal(3);
      expect((await readOnce('k', read)).version).to.equal(1);
    });
    expect(reads.count).to.equal(3);
  });
});

describe('work a request starts that outlives it', () => {
  it('runs outside the request cache', async () => {
    let reads = 0;
    const read = async () => (reads += 1);
    await withRequestCache(async () => {
      await readOnce('k', read);
      const later = await new Promise<number>((resolve) => outsideRequest(() => setTimeout(() => void readOnce('k', read).then(resolve), 0)));
      expect(later).to.equal(2);
    });
  });
});

describe('the copies the request cache hands out', () => {
  it('copy a JSON-shaped value deeply, as structuredClone does', () => {
    const value = { n: -0, nan: Number.NaN, s: 'é', t: true, none: null, gone: undefined, list: [1, [2, { deep: 'x' }]], bare: Object.assign(Object.create(null) as object, { k: 1 }) };
    const copy = copyOf(value);
    expect(copy).to.deep.equal(structuredClone(value));
    expect(Object.is(copy.n, -0)).to.equal(true);
    expect(Object.getPrototypeOf(copy.bare)).to.equal(Object.prototype);
    expect(copy.list).not.to.equal(value.list);
    expect(copy.list[1]).not.to.equal(value.list[1]);
    expect(Object.keys(copy)).to.deep.equal(Object.keys(value));
    // eslint-disable-next-line no-sparse-arrays
    const holes = copyOf([1, , 3]);
    expect(1 in holes).to.equal(false);
    expect(holes).to.have.length(3);
  });

  it('leave anything else to structuredClone: dates, maps, cycles, an own __proto__ key, and throw where it throws', () => {
    const when = new Date(0);
    const dated = copyOf({ at: [when], tags: new Map([['a', 1]]) });
    expect(dated.at[0]).to.be.instanceOf(Date);
    expect(dated.at[0]).not.to.equal(when);
    expect(dated.tags.get('a')).to.equal(1);
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    const copied = copyOf(cycle);
    expect(copied.self).to.equal(copied);
    const parsed = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const safe = copyOf(parsed);
    expect(Object.getPrototypeOf(safe)).to.equal(Object.prototype);
    expect(Object.keys(safe)).to.deep.equal(['__proto__']);
    expect(() => copyOf({ f: () => 1 })).to.throw();
  });
});
