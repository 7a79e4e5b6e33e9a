/** The contract for the keyring: an opaque sealed value saved by compare-and-set on its version. */
import { expect } from 'chai';

import { type ContractStore, times } from './fixtures.ts';

export function keyringContract(store: ContractStore): void {
  describe('keyring', () => {
    it('has no keyring until the first save', async () => {
      expect(await store.getKeyring()).to.equal(undefined);
    });

    it('saves the first keyring as version 1, and only when none is stored', async () => {
      expect(await store.saveKeyring('sealed-1', 1_700_000_000_000, undefined)).to.equal(true);
      expect(await store.getKeyring()).to.deep.equal({ version: 1, sealed: 'sealed-1', updatedAt: 1_700_000_000_000 });
      expect(await store.saveKeyring('sealed-other', 1_700_000_001_000, undefined)).to.equal(false);
      expect(await store.getKeyring()).to.deep.equal({ version: 1, sealed: 'sealed-1', updatedAt: 1_700_000_000_000 });
    });

    it('saveKeyring writes the next version only over the version the caller read', async () => {
      expect(await store.saveKeyring('sealed-1', 1_700_000_000_000, 1)).to.equal(false);
      expect(await store.getKeyring()).to.equal(undefined);
      await store.saveKeyring('sealed-1', 1_700_000_000_000, undefined);
      expect(await store.saveKeyring('sealed-2', 1_700_000_001_000, 1)).to.equal(true);
      expect(await store.saveKeyring('stale', 1_700_000_002_000, 1)).to.equal(false);
      expect(await store.saveKeyring('from the future', 1_700_000_002_000, 3)).to.equal(false);
      expect(await store.getKeyring()).to.deep.equal({ version: 2, sealed: 'sealed-2', updatedAt: 1_700_000_001_000 });
    });

    it('lets exactly one of 20 parallel rotations of the same version win', async () => {
      await store.saveKeyring('sealed-1', 1_700_000_000_000, undefined);
      const saved = await Promise.all(times(20, (index) => store.saveKeyring(`rotation-${index}`, 1_700_000_001_000, 1)));
      expect(saved.filter(Boolean)).to.have.length(1);
      expect(await store.getKeyring()).to.deep.include({ version: 2, sealed: `rotation-${saved.indexOf(true)}` });
    });

    it('keeps the keyring apart from the settings', async () => {
      await store.saveSettings({ sharingLevel: 'existingGuests' }, 1_700_000_000_000, undefined);
      expect(await store.getKeyring()).to.equal(undefined);
      expect(await store.saveKeyring('sealed-1', 1_700_000_000_000, undefined)).to.equal(true);
      expect(await store.getSettings()).to.deep.include({ version: 1 });
    });
  });
}
