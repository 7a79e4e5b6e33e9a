import { expect } from 'chai';

import { forget, forgetAll, outsideRequest, readFresh, readOnce, readOnceShared, remember, withRequestCache } from '../../adapters/request_cache.ts';

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
