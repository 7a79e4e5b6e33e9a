/**
 * Who is asking, on the sign-in pages: the relying party's name, logo and policy links (client
 * metadata) at the top of the card, in the person's language, escaped, with a CSP that lets the
 * client's logo through on those pages only; what a hostile name gets; and a static client whose
 * URLs a page may not load stops start-up naming the field.
 */
import { expect } from 'chai';

import { parseConfig } from '../../config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { createServer } from '../../src/http_server.ts';
import { createLogger } from '../../src/log.ts';
import { visibleText } from '../support/browser.ts';
import { adminClient, filesClient, openSignIn, rpClient, submitEmail, testKeys, useGuestpass } from '../support/guestpass.ts';

function imageSources(csp: string | null): string {
  return /(?:^|; )img-src ([^;]*)/.exec(csp ?? '')?.[1] ?? '';
}

/** The card's client block, as served. */
function clientBlock(body: string): string {
  return /<div class="client">[\s\S]*?<\/div>\n<\/div>/.exec(body)?.[0] ?? '';
}

const presented = {
  ...rpClient,
  client_name: 'Fabrikam Files',
  logo_uri: 'https://cdn.fabrikam.example/brand/files.png',
  policy_uri: 'https://files.fabrikam.example/privacy',
  tos_uri: 'https://files.fabrikam.example/terms',
};

describe('the relying party on the sign-in pages', () => {
  describe('with a name, a logo and policy links', () => {
    const gp = useGuestpass({ store: 'memory', config: { organization: { name: 'Contoso', logoUri: 'https://cdn.contoso.example/logo.svg' }, clients: [presented, filesClient, adminClient] } });

    it('shows the logo, the name and the links on the email page and the code page, without referrer or opener', async () => {
      const journey = await openSignIn(gp);
      const block = clientBlock(journey.page.body);
      expect(block).to.contain('<img src="https://cdn.fabrikam.example/brand/files.png" alt="" class="client-logo" width="48" height="48" referrerpolicy="no-referrer" decoding="async">');
      expect(block).to.contain('<p class="client-name">Sign-in requested by <bdi>Fabrikam Files</bdi></p>');
      expect(block).to.contain('<a href="https://files.fabrikam.example/privacy" target="_blank" rel="noopener noreferrer" referrerpolicy="no-referrer">Privacy policy</a>');
      expect(block).to.contain('<a href="https://files.fabrikam.example/terms" target="_blank" rel="noopener noreferrer" referrerpolicy="no-referrer">Terms of service</a>');
      // The organisation keeps its own header above the card; the client is inside it, before the title.
      expect(journey.page.body.indexOf('class="organization"')).to.be.lessThan(journey.page.body.indexOf('<div class="client">'));
      expect(journey.page.body.indexOf('<div class="client">')).to.be.lessThan(journey.page.body.indexOf('<h1>'));
      const codePage = await submitEmail(journey, 'presented@example.org');
      expect(clientBlock(codePage.body)).to.equal(block);
    });

    it('allows images from here, the organisation\'s logo origin and exactly the client logo\'s origin on its pages, and no more elsewhere', async () => {
      const journey = await openSignIn(gp);
      expect(imageSources(journey.page.headers.get('content-security-policy'))).to.equal("'self' https://cdn.contoso.example https://cdn.fabrikam.example");
      const codePage = await submitEmail(journey, 'csp@example.org');
      expect(imageSources(codePage.headers.get('content-security-policy'))).to.equal("'self' https://cdn.contoso.example https://cdn.fabrikam.example");
      const error = await gp.browser().get('/interaction/doesnotexist');
      expect(error.status).to.equal(400);
      expect(imageSources(error.headers.get('content-security-policy'))).to.equal("'self' https://cdn.contoso.example");
      const signedOut = await gp.browser().get('/session/end/success');
      expect(imageSources(signedOut.headers.get('content-security-policy'))).to.equal("'self' https://cdn.contoso.example");
    });

    it('speaks the person\'s language', async () => {
      const expected = {
        it: ['Accesso richiesto da', 'Informativa sulla privacy', 'Termini di servizio'],
        de: ['Anmeldung angefordert von', 'Datenschutzerklärung', 'Nutzungsbedingungen'],
        fr: ['Connexion demandée par', 'Politique de confidentialité', 'Conditions d’utilisation'],
        es: ['Inicio de sesión solicitado por', 'Política de privacidad', 'Condiciones del servicio'],
      };
      for (const [locale, [requestedBy, policy, terms]] of Object.entries(expected)) {
        const text = visibleText(clientBlock((await openSignIn(gp, { ui_locales: locale })).page.body));
        expect(text, locale).to.equal(`${requestedBy} Fabrikam Files ${policy} ${terms}`);
      }
    });
  });

  describe('with a hostile name', () => {
    const hostile = '<script>alert(document.cookie)</script>" onmouseover="alert(1)';
    const gp = useGuestpass({ store: 'memory', config: { clients: [{ ...rpClient, client_name: hostile, tos_uri: 'https://files.fabrikam.example/terms?a=1&b="2"' }, filesClient, adminClient] } });

    it('shows it as text, never as markup', async () => {
      const { page } = await openSignIn(gp);
      expect(page.body).to.not.contain('<script>alert');
      expect(page.body).to.not.contain('" onmouseover="');
      expect(clientBlock(page.body)).to.contain('<bdi>&lt;script&gt;alert(document.cookie)&lt;/script&gt;&quot; onmouseover=&quot;alert(1)</bdi>');
      expect(clientBlock(page.body)).to.contain('href="https://files.fabrikam.example/terms?a=1&amp;b=%222%22"');
      expect(visibleText(page.body)).to.contain(`Sign-in requested by ${hostile}`);
    });
  });

  describe('without presentation metadata', () => {
    const { client_name: _name, ...unnamed } = rpClient;
    const gp = useGuestpass({ store: 'memory', config: { clients: [unnamed, filesClient, adminClient] } });

    it('says neutrally that an application asks, shows no image or link, and allows no image origin', async () => {
      const { page } = await openSignIn(gp);
      expect(clientBlock(page.body)).to.equal('<div class="client">\n\n<div class="client-about">\n<p class="client-name">An application asks you to sign in.</p>\n\n</div>\n</div>');
      expect(page.body).to.not.contain('<img');
      expect(imageSources(page.headers.get('content-security-policy'))).to.equal("'self'");
    });
  });

  describe('a static client with URLs a page may not load', () => {
    const refusedWith = async (metadata: Record<string, unknown>): Promise<string[]> => {
      const config = parseConfig({ issuer: 'http://127.0.0.1:3999', logLevel: 'silent', clients: [{ ...rpClient, ...metadata }] });
      try {
        await createServer(config, { keys: await testKeys(), logger: createLogger('silent') });
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      throw new Error('expected start-up to be refused');
    };

    it('stops start-up naming the client and the field', async () => {
      expect(await refusedWith({ logo_uri: 'javascript:alert(1)' })).to.deep.equal(['clients[0] (client_id "rp"): logo_uri must be an https URL']);
      expect(await refusedWith({ policy_uri: 'http://files.fabrikam.example/privacy' })).to.deep.equal(['clients[0] (client_id "rp"): policy_uri may be an http URL only on a loopback host (localhost, 127.0.0.1, [::1]) in development; use https']);
    });
  });
});
