/**
 * guestpass as a plugin: an application that already runs its own oidc-provider — its own
 * accounts, clients, adapter and login — adds guestpass for the people outside it, without
 * handing over its Provider (docs/library.md):
 *
 * ```js
 * const guestpass = await guestpassPlugin(parseConfig({ issuer, clients: [files], redis: { url } }));
 * const provider = new Provider(issuer, guestpass.configure(myConfiguration));
 * await guestpass.mount(provider);
 * guestpass.start();
 * ```
 *
 * guestpass brings its stores (people, links, codes, the outbox, the audit trail), its sign-in
 * pages for its clients, its claims and scopes, and answers `findAccount` for its people.
 */
import type Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';

import type { Config } from '../../config/schema.ts';
import { createGuestpass, type Guestpass, type ServerDeps } from '../server.ts';
import { isGuestpassClient, mergeConfiguration } from './merge_configuration.ts';

export { guestpassSignInMetadata, isGuestpassClient } from './merge_configuration.ts';

export interface GuestpassPlugin extends Omit<Guestpass, 'mount' | 'mountInHost' | 'providerConfiguration' | 'drainAndClose' | 'markStopping'> {
  /** Your oidc-provider configuration with guestpass's part merged in: pass it to `new Provider(issuer, …)`. */
  configure(host: Configuration): Configuration;
  /** Adds guestpass's pages and routes to your Provider, and checks guestpass's clients. */
  mount(provider: Provider): Promise<void>;
}

export async function guestpassPlugin(config: Config, deps: ServerDeps = {}): Promise<GuestpassPlugin> {
  const guestpass = await createGuestpass(config, deps);
  const { mount: _mount, mountInHost, providerConfiguration, drainAndClose: _drain, markStopping: _mark, ...pieces } = guestpass;
  return {
    ...pieces,
    configure: (host) => mergeConfiguration(host, providerConfiguration(), guestpass.people),
    async mount(provider) {
      if (provider.issuer !== config.issuer) throw new Error(`guestpass plugin: the Provider's issuer ${provider.issuer} is not guestpass's issuer ${config.issuer}`);
      await mountInHost(provider, async (_ctx, uid) => {
        const interaction = await provider.Interaction.find(uid);
        // An expired or unknown sign-in gets guestpass's "expired" page at guestpass's address.
        if (!interaction) return true;
        const client = await provider.Client.find(String(interaction.params.client_id));
        return isGuestpassClient(client as unknown as Parameters<typeof isGuestpassClient>[0]);
      });
    },
  };
}

export type { Config } from '../../config/schema.ts';
export { parseConfig } from '../../config/load.ts';
