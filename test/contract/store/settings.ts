/** The contract for the runtime settings: versioned saves, and the watch that tells of every save. */
import { expect } from 'chai';

import { type ContractStore, times, until } from './fixtures.ts';

export function settingsContract(store: ContractStore): void {
  describe('settings', () => {
    const policy = (sharingLevel: string) => ({ sharingLevel, reverificationDays: 30, domains: { allow: ['example.com'] }, guestUpgrade: 'automatic' });

    it('has no settings until the first save', async () => {
      expect(await store.getSettings()).to.equal(undefined);
    });

    it('saves the first settings as version 1, and only when none are stored', async () => {
      expect(await store.saveSettings(policy('existingGuests'), 1_700_000_000_000, undefined)).to.equal(true);
      const first = { version: 1, value: policy('existingGuests'), updatedAt: 1_700_000_000_000 };
      expect(await store.getSettings()).to.deep.equal(first);
      expect(await store.saveSettings(policy('organizationOnly'), 1_700_000_001_000, undefined)).to.equal(false);
      expect(await store.getSettings()).to.deep.equal(first);
    });

    it('saveSettings writes the next version only over the version the caller read', async () => {
      expect(await store.saveSettings(policy('existingGuests'), 1_700_000_000_000, 1)).to.equal(false);
      expect(await store.getSettings()).to.equal(undefined);
      await store.saveSettings(policy('existingGuests'), 1_700_000_000_000, undefined);

      expect(await store.saveSettings(policy('organizationOnly'), 1_700_000_001_000, 1)).to.equal(true);
      const second = { version: 2, value: policy('organizationOnly'), updatedAt: 1_700_000_001_000 };
      expect(await store.getSettings()).to.deep.equal(second);

      expect(await store.saveSettings(policy('stale'), 1_700_000_002_000, 1)).to.equal(false);
      expect(await store.saveSettings(policy('from the future'), 1_700_000_002_000, 3)).to.equal(false);
      expect(await store.getSettings()).to.deep.equal(second);
    });

    it('saveSettings lets exactly one of 20 parallel savers of the same version win, first save or later', async () => {
      const firsts = await Promise.all(times(20, (index) => store.saveSettings(policy(`first-${index}`), 1_700_000_000_000, undefined)));
      expect(firsts.filter(Boolean)).to.have.length(1);
      expect(await store.getSettings()).to.deep.include({ version: 1, value: policy(`first-${firsts.indexOf(true)}`) });

      const seconds = await Promise.all(times(20, (index) => store.saveSettings(policy(`second-${index}`), 1_700_000_001_000, 1)));
      expect(seconds.filter(Boolean)).to.have.length(1);
      expect(await store.getSettings()).to.deep.include({ version: 2, value: policy(`second-${seconds.indexOf(true)}`) });
    });

    it('returns copies: changing what it returned or was given changes nothing stored', async () => {
      const given = policy('existingGuests');
      await store.saveSettings(given, 1_700_000_000_000, undefined);
      given.domains.allow.push('given.example');
      (await store.getSettings<ReturnType<typeof policy>>())!.value.domains.allow.push('got.example');
      expect(await store.getSettings()).to.deep.equal({ version: 1, value: policy('existingGuests'), updatedAt: 1_700_000_000_000 });
    });

    it('has a watch that, once live, moves on with every save made through this store, before the save returns', async () => {
      const watch = store.settingsWatch?.();
      expect(watch, 'a watch').to.not.equal(undefined);
      await until(() => watch!.live, 'the watch to be live');
      const before = watch!.generation;
      expect(await store.saveSettings(policy('existingGuests'), 1_700_000_000_000, undefined)).to.equal(true);
      const afterFirst = watch!.generation;
      expect(afterFirst).to.not.equal(before);
      expect(await store.saveSettings(policy('organizationOnly'), 1_700_000_001_000, 1)).to.equal(true);
      expect(watch!.generation).to.not.equal(afterFirst);
      expect(store.settingsWatch?.(), 'the same watch on every call').to.equal(watch);
    });
  });
}
