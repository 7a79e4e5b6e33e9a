/** The console's clients page: every relying party, read-only, with where it comes from and when it was registered; auditors see it too. */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { signInToConsole } from '../support/console.ts';
import { adminClient, filesClient, rpClient, useGuestpass } from '../support/guestpass.ts';
import { clientsAdmin, clientsApi } from '../clients/support.ts';

describe('the admin console: clients', () => {
  const gp = useGuestpass({
    store: 'redis',
    config: { clients: [rpClient, filesClient, adminClient, clientsAdmin], admin: { emails: ['boss@example.com'], auditorEmails: ['watcher@example.com'] } },
  });

  it('lists static and runtime clients, never a secret, to admins and auditors', async () => {
    const api = await clientsApi(gp.issuer);
    const created = await api.post<{ client_id: string; client_secret: string }>('/clients', { client_name: 'Northwind Files', redirect_uris: ['http://northwind.test/callback'] });
    expect(created.status).to.equal(201);
    for (const email of ['boss@example.com', 'watcher@example.com']) {
      const { browser } = await signInToConsole(() => gp.browser(), gp.smtp, email);
      const page = await browser.get('/admin/clients');
      expect(page.status, email).to.equal(200);
      const text = visibleText(page.body);
      expect(text).to.contain('Northwind Files').and.contain(created.body.client_id).and.contain('http://northwind.test/callback');
      expect(text).to.match(/rp\s+Test File Host\s+configuration file/);
      expect(page.body).to.not.contain(created.body.client_secret).and.not.contain(rpClient.client_secret);
      expect(page.body).to.contain('aria-current="page"');
    }
  });
});
