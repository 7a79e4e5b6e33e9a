/**
 * Where the sharing policy (SPEC §5) is read from. `get()` is what every decision uses;
 * `snapshot()` is the last value read, for the few places oidc-provider asks synchronously
 * (session lifetimes).
 */
import type { Policy } from '../config/schema.ts';

export interface PolicySource {
  get(): Promise<Policy>;
  snapshot(): Policy;
}

export function fixedPolicy(policy: Policy): PolicySource {
  return { get: async () => policy, snapshot: () => policy };
}
