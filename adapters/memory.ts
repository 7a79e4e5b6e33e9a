/** The in-memory store, as `src/` and the tests import it; it lives in `memory/`, one file per concern. */
export { MemoryStore } from './memory/store.ts';
