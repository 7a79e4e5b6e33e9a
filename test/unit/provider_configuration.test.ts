import { expect } from 'chai';

import { MemoryStore } from '../../adapters/memory.ts';
import { parseConfig } from '../../config/load.ts';
import { AuditLog } from '../../src/audit.ts';
import { linkEligibility } from '../../src/eligibility.ts';
import { systemClock } from '../../src/clock.ts';
import { LinkAccess } from '../../src/link_access.ts';
import { Links } from '../../src/links.ts';
import { createLogger } from '../../src/log.ts';
import { People } from '../../src/people.ts';
import { fixedPolicy } from '../../src/policy.ts';
import { providerConfiguration } from '../../src/provider.ts';
import { Sessions } from '../../src/sessions.ts';
import { providerPages } from '../../interactions/views/provider_pages.ts';
import { testKeys } from '../support/guestpass.ts';

describe('the oidc-provider configuration', () => {
  async function configurationFor(issuer: string) {
    const config = parseConfig({ issuer, trustProxy: issuer.startsWith('https:') });
    const store = new MemoryStore();
    const people = new People(store, systemClock, []);
    const policy = fixedPolicy(config.policy);
    const logger = createLogger('silent');
    const access = new LinkAccess({ store, sessions: new Sessions(store, logger), clock: systemClock, logger });
    const links = new Links({ store, clock: systemClock, audit: new AuditLog(store, systemClock, logger), people, policy, access, maxRecipients: 10 });
    const eligibility = linkEligibility({ links, people, policy, openSignInClients: new Set() });
    return providerConfiguration({ config, clock: systemClock, keys: await testKeys(), store, people, policy, eligibility, clients: [], pages: providerPages(config.organization.name) });
  }

  it('sets cookies HttpOnly and SameSite=Lax always, and Secure on an https issuer', async () => {
    const https = (await configurationFor('https://id.contoso.com')).cookies!;
    expect(https.long).to.include({ httpOnly: true, sameSite: 'lax', secure: true });
    expect(https.short).to.include({ httpOnly: true, sameSite: 'lax', secure: true });
    const http = (await configurationFor('http://localhost:3000')).cookies!;
    expect(http.long).to.include({ httpOnly: true, sameSite: 'lax', secure: false });
  });

  it('requires PKCE of every client and offers only the code flow', async () => {
    const configuration = await configurationFor('http://localhost:3000');
    expect(configuration.pkce!.required!({} as never, {} as never)).to.equal(true);
    expect(configuration.responseTypes).to.deep.equal(['code']);
    expect(configuration.features!.devInteractions!.enabled).to.equal(false);
  });
});
