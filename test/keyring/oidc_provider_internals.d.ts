/** oidc-provider's internal-instance reader, which only test/keyring/keyring_model.test.ts looks through. */
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  export function get(provider: unknown): unknown;
}
