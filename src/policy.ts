/**
 * Where the sharing policy (SPEC §5) is read from. The configuration file gives the starting
 * policy; `PUT /api/v1/settings` stores a new one, which every instance sharing the store reads
 * on its next decision — so a change applies at once everywhere.
 *
 * `get()` is what every decision uses: one store read per request (adapters/request_cache.ts), so
 * the decisions of one request see one policy; `snapshot()` is the last value read, for the few
 * places oidc-provider asks synchronously (session and grant lifetimes).
 */
import type { SettingsStore } from '../adapters/store.ts';
import { policySchema, type Policy } from '../config/schema.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';
import { forget, readOnce } from '../adapters/request_cache.ts';

/** The request cache's name for the stored settings (adapters/request_cache.ts). */
const settingsKey = 'settings';

export interface PolicySource {
  get(): Promise<Policy>;
  snapshot(): Policy;
}

export function fixedPolicy(policy: Policy): PolicySource {
  return { get: async () => policy, snapshot: () => policy };
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
  #last: Policy;

  constructor(deps: { store: SettingsStore; initial: Policy; clock: Clock; logger: Logger }) {
    this.#store = deps.store;
    this.#initial = deps.initial;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#last = deps.initial;
  }

  async get(): Promise<Policy> {
    return (await this.current()).policy;
  }

  snapshot(): Policy {
    return this.#last;
  }

  /** The policy in force and its version (0: the configuration's, never changed through the API). */
  async current(): Promise<{ policy: Policy; version: number; updatedAt?: number }> {
    const stored = await readOnce(settingsKey, () => this.#store.getSettings<Policy>());
    if (!stored) {
      this.#last = this.#initial;
      return { policy: this.#initial, version: 0 };
    }
    const parsed = policySchema.safeParse(stored.value);
    if (!parsed.success) {
      // Written by another version of guestpass, or by hand: keep serving with the configured policy.
      this.#logger.error({ version: stored.version }, 'stored settings do not match the policy schema; using the configured policy');
      this.#last = this.#initial;
      return { policy: this.#initial, version: stored.version };
    }
    this.#last = parsed.data;
    return { policy: parsed.data, version: stored.version, updatedAt: stored.updatedAt };
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
