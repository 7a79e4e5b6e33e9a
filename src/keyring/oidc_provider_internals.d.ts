/** The one internal module of oidc-provider 9.13.3 guestpass imports: see provider_keystore.ts. */
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  import type Provider from 'oidc-provider';
  import type { JWK } from 'jose';

  /** Builds the provider's keystore and published JWKS from `jwks`, with `this` the Provider. */
  export default function initializeKeystore(this: Provider, jwks: { keys: JWK[] }): void;
}
