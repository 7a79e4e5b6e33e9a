/**
 * Where the sharing policy (SPEC §5) is read from. The configuration file gives the starting
 * policy; `PUT /api/v1/settings` stores a new one, which every instance sharing the store reads
 * on its next decision — so a change applies at once everywhere.
 *
 * `get()` is what every decision uses. The policy is kept in memory between changes while the
 * store's watch is live (`SettingsWatch`: on Redis, every save is announced to every instance
 * over pub/sub), and read from the store on every request while it is not (starting, reconnecting,
 * Redis down: then a read fails closed as any other), or with a store that has no watch. Either
 * way the decisions of one request see one policy (adapters/request_cache.ts), and what is kept
 * is frozen, so callers share it without copies. `snapshot()` is the last value read, for the few
 * places oidc-provider asks synchronously (session and grant lifetimes).
 */
import type { SettingsStore, SettingsWatch, StoredSettings } from '../adapters/store.ts';
import { policySchema, type Policy } from '../config/schema.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';
import { forget, readOnceShared } from '../adapters/request_cache.ts';

/** The request cache's name for the stored settings (adapters/request_cache.ts). */
const settingsKey = 'settings';

const policyOf = (current: CurrentPolicy): Policy => current.policy;

export interface PolicySource {
  get(): Promise<Policy>;
  snapshot(): Policy;
}

export function fixedPolicy(policy: Policy): PolicySource {
  return { get: async () => policy, snapshot: () => policy };
}

/** The policy in force and its version (0: the configuration's, never changed through the API). */
export interface CurrentPolicy {
  policy: Policy;
  version: number;
  updatedAt?: number;
}

export interface PolicyChange {
  policy: Policy;
  version: number;
  /** Top-level keys whose value changed (`otp`, `sharingLevel`, …). */
  changed: string[];
}

export class StorePolicySource implements PolicySource {
  readonly #store: SettingsStore;
  readonly #initial: Policy;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #watch: SettingsWatch | undefined;
  /** What was read at `generation` of the watch: the stored policy as long as the watch is live and there. */
  #kept: { generation: number; current: CurrentPolicy } | undefined;
  #last: Policy;

  constructor(deps: { store: SettingsStore; initial: Policy; clock: Clock; logger: Logger }) {
    this.#store = deps.store;
    this.#initial = deps.initial;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#last = deps.initial;
    this.#watch = deps.store.settingsWatch?.();
  }

  get(): Promise<Policy> {
    return this.current().then(policyOf);
  }

  snapshot(): Policy {
    return this.#last;
  }

  /** The policy in force and its version (0: the configuration's, never changed through the API). */
  current(): Promise<CurrentPolicy> {
    return readOnceShared(settingsKey, () => this.#read());
  }

  async #read(): Promise<CurrentPolicy> {
    const watch = this.#watch;
    const kept = this.#kept;
    if (watch?.live && kept?.generation === watch.generation) return kept.current;
    // Kept only if no save and no interruption of the watch came between the read and its answer.
    const generation = watch?.live ? watch.generation : undefined;
    const current = this.#parse(await this.#store.getSettings<Policy>());
    this.#last = current.policy;
    if (generation !== undefined && watch?.live && watch.generation === generation) this.#kept = { generation, current };
    return current;
  }

  #parse(stored: StoredSettings<Policy> | undefined): CurrentPolicy {
    if (!stored) return Object.freeze({ policy: this.#initial, version: 0 });
    const parsed = policySchema.safeParse(stored.value);
    if (!parsed.success) {
      // Written by another version of guestpass, or by hand: keep serving with the configured policy.
      this.#logger.error({ version: stored.version }, 'stored settings do not match the policy schema; using the configured policy');
      return Object.freeze({ policy: this.#initial, version: stored.version });
    }
    return deepFreeze({ policy: parsed.data, version: stored.version, updatedAt: stored.updatedAt });
  }

  /** Replaces the policy if it is still at `expectedVersion`; undefined when someone changed it first. */
  async replace(policy: Policy, expectedVersion: number): Promise<PolicyChange | undefined> {
    const before = await this.current();
    if (before.version !== expectedVersion) return undefined;
    const saved = await this.#store.saveSettings(policy, this.#clock.now(), expectedVersion === 0 ? undefined : expectedVersion);
    // Saved or beaten to it: either way what this request read is no longer the stored policy.
    forget(settingsKey);
    if (!saved) return undefined;
    this.#last = policy;
    const changed = (Object.keys(policy) as (keyof Policy)[]).filter((key) => JSON.stringify(policy[key]) !== JSON.stringify(before.policy[key]));
    return { policy, version: expectedVersion + 1, changed };
  }
}

/** Freezes `value` and everything it holds, so that one copy can be shared by every reader. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
