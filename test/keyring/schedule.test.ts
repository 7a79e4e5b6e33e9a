/**
 * The rotation schedule of managed keys, on the in-memory store and a hand-moved clock: a
 * rotation falls due one interval after the current generation became active, exactly one of
 * several instances makes it, and every instance switches at the stored activation time.
 */
import { expect } from 'chai';

import { MemoryStore } from '../../adapters/memory/store.ts';
import { parseConfig } from '../../config/load.ts';
import { openManagedKeys } from '../../src/keyring/managed_keys.ts';
import { createLogger } from '../../src/log.ts';
import { ManualClock } from '../support/clock.ts';

const config = parseConfig({ keys: { encryptionKey: 'schedule-test-key-encryption-key-0123456789', rotationIntervalDays: 30, leadTimeSeconds: 3600 } });
const logger = createLogger('silent');

describe('managed keys: the rotation schedule', () => {
  let store: MemoryStore;

  beforeEach(() => {
    store = new MemoryStore();
  });

  afterEach(() => store.close());

  it('rotates once per interval, one of three instances making each rotation, all switching at its activation time', async () => {
    const clock = new ManualClock();
    clock.freezeAt(Date.UTC(2030, 0, 1));
    const told: number[] = [];
    const instances = await Promise.all([1, 2, 3].map(() => openManagedKeys(config, store, clock, logger, async (outcome) => void told.push(outcome.generation))));
    expect((await store.getKeyring())!.version).to.equal(1);
    const firstKid = instances[0]!.material.jwks.keys[0]!.kid;

    clock.freezeAt(Date.UTC(2030, 0, 30));
    await Promise.all(instances.map((instance) => instance.refresh()));
    expect((await store.getKeyring())!.version, 'not due yet').to.equal(1);

    clock.freezeAt(Date.UTC(2030, 0, 31));
    await Promise.all(instances.map((instance) => instance.refresh()));
    expect((await store.getKeyring())!.version, 'one rotation however many instances saw it due').to.equal(2);
    expect(told, 'the instance that rotated says so (for the audit), once').to.deep.equal([2]);
    await Promise.all(instances.map((instance) => instance.refresh()));
    for (const instance of instances) {
      expect(instance.status().pending?.generation).to.equal(2);
      // Published (and opening) everywhere, still signing with the first.
      expect(instance.material.jwks.keys).to.have.length(6);
      expect(instance.material.jwks.keys[0]!.kid).to.equal(firstKid);
      expect(instance.material.secrets).to.have.length(2);
    }
    const [current, next] = instances[0]!.material.secrets;

    clock.freezeAt(Date.UTC(2030, 0, 31, 1, 0, 1));
    await Promise.all(instances.map((instance) => instance.refresh()));
    for (const instance of instances) {
      expect(instance.status().activeGeneration).to.equal(2);
      expect(instance.material.jwks.keys[0]!.kid).to.not.equal(firstKid);
      expect(instance.material.secrets).to.deep.equal([next, current]);
    }

    // The next is due 30 days after generation 2 became active, not after the first.
    clock.freezeAt(Date.UTC(2030, 2, 2, 0, 59));
    await instances[0]!.refresh();
    expect((await store.getKeyring())!.version).to.equal(2);
    clock.freezeAt(Date.UTC(2030, 2, 2, 1, 1));
    await instances[1]!.refresh();
    expect((await store.getKeyring())!.version).to.equal(3);
  });

  it('keeps the arrays it handed out, replacing their contents, so their holders read the current keys', async () => {
    const clock = new ManualClock();
    const keys = await openManagedKeys(config, store, clock, logger);
    const { secrets, cookieKeys, jwks } = keys.material;
    const heldKeys = jwks.keys;
    await keys.rotate();
    clock.advanceSeconds(3601);
    await keys.refresh();
    expect(keys.material.secrets).to.equal(secrets);
    expect(keys.material.cookieKeys).to.equal(cookieKeys);
    expect(keys.material.jwks.keys).to.equal(heldKeys);
    expect(secrets).to.have.length(2);
    expect(cookieKeys).to.have.length(2);
  });

  it('keeps its version in step with the store when a poll and an on-demand rotation run at once', async () => {
    const clock = new ManualClock();
    clock.freezeAt(Date.UTC(2030, 0, 1));
    const keys = await openManagedKeys(config, store, clock, logger);
    clock.freezeAt(Date.UTC(2030, 1, 1));
    const [polled, rotated] = await Promise.allSettled([keys.refresh(), keys.rotate(), keys.refresh()]);
    expect(polled.status).to.equal('fulfilled');
    // The poll made the due rotation first; the rotation asked for meanwhile is refused as pending.
    expect(rotated.status).to.equal('rejected');
    expect(keys.status().version).to.equal((await store.getKeyring())!.version);
    clock.freezeAt(Date.UTC(2030, 1, 1, 1, 0, 1));
    await keys.refresh();
    expect((await keys.rotate()).generation).to.equal(3);
    expect(keys.status().version).to.equal(3);
  });
});

