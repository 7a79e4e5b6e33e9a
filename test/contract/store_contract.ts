/**
 * The one storage contract: every `Store` implementation runs these tests (see memory.test.ts;
 * redis.test.ts, redis_cluster.test.ts and redis_sentinel.test.ts for Redis). They state
 * behaviour callers rely on — above all that the atomic steps stay atomic under parallel calls —
 * and never look at how a store keeps its data. One file per concern under `store/`, as the store
 * itself is split; this entry runs them all, in one `describe` per store.
 */
import { auditContract } from './store/audit.ts';
import { codesContract } from './store/codes.ts';
import { countersContract } from './store/counters.ts';
import { expiryContract } from './store/expiry.ts';
import { keyringContract } from './store/keyring.ts';
import { storeOfEachTest, type ContractStore } from './store/fixtures.ts';
import { linkAccessContract } from './store/link_access.ts';
import { linksContract } from './store/links.ts';
import { oidcModelsContract } from './store/oidc_models.ts';
import { outboxContract } from './store/outbox.ts';
import { peopleContract } from './store/people.ts';
import { recordsContract } from './store/records.ts';
import { settingsContract } from './store/settings.ts';

export type { ContractStore } from './store/fixtures.ts';
/** Fixtures shared with the tests of what only one store has. */
export { person, recipient, secureLink } from './store/fixtures.ts';

export function storeContract(name: string, createStore: () => Promise<ContractStore>, destroyStore: (store: ContractStore) => Promise<void>): void {
  describe(`${name} store contract`, () => {
    let current: ContractStore;

    beforeEach(async () => {
      current = await createStore();
    });

    afterEach(async () => {
      await destroyStore(current);
    });

    const store = storeOfEachTest(() => current);
    oidcModelsContract(store);
    recordsContract(store);
    codesContract(store);
    countersContract(store);
    outboxContract(store);
    peopleContract(store);
    settingsContract(store);
    keyringContract(store);
    linksContract(store);
    linkAccessContract(store);
    auditContract(store);

    describe('health', () => {
      it('ping resolves while the store answers', async () => {
        await store.ping();
      });
    });
  });

  expiryContract(name, createStore, destroyStore);
}
