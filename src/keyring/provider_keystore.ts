/**
 * The one place guestpass reaches into oidc-provider's internals: replacing the signing keys of a
 * running Provider. Checked against oidc-provider 9.13.3; test/keyring/provider_keystore.test.ts
 * fails if an upgrade changes what this relies on.
 *
 * oidc-provider builds its keystore from `jwks` once, in the Provider constructor
 * (lib/provider.js calls lib/helpers/initialize_keystore.js), into the provider's internal
 * instance (lib/helpers/weak_cache.js): `keystore`, which signs and verifies, and `jwks`, the
 * public keys `/jwks` serves. That initializer, called again with the provider as `this`,
 * rebuilds both with the same checks as at start-up, and has no other effect than adding the
 * keys' algorithms to the ones discovery lists (they are the same in every generation). Signing
 * takes the first key of the algorithm in keystore order (lib/helpers/keystore.js `selectForSign`
 * is a stable sort by score), so the active keys come first in the set.
 *
 * Cookie keys need no internals: Provider is a Koa application, and Koa reads `app.keys` on each
 * request.
 */
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
// A static import, so it is loaded the way `oidc-provider` itself is, as the same module instance
// sharing the internal-instance reader (weak_cache.js) the Provider registered.
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';

import { CookieKeys } from '../http/cookie_keys.ts';

/** Makes `provider` sign with the first key of each algorithm in `jwks`, verify with all, and publish them all. */
export function replaceSigningKeys(provider: Provider, jwks: { keys: JWK[] }): void {
  if (typeof initializeKeystore !== 'function') throw new Error('oidc-provider/lib/helpers/initialize_keystore.js no longer exports its initializer: check src/keyring/provider_keystore.ts');
  initializeKeystore.call(provider, structuredClone(jwks));
}

/** Makes `provider` set cookies with the first key and accept every one. */
export function replaceCookieKeys(provider: Provider, cookieKeys: readonly string[]): void {
  provider.keys = new CookieKeys([...cookieKeys]);
}
