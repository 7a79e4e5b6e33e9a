import { MemoryStore } from '../../adapters/memory.ts';
import { storeContract } from './store_contract.ts';

storeContract(
  'memory',
  async () => new MemoryStore(),
  (store) => store.close(),
);
