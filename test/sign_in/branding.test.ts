/**
 * The organisation's name, logo and accent colour on the pages (`organization` in the
 * configuration): shown in every page's frame, the logo's origin — and only it — allowed by the
 * Content-Security-Policy, the colour served as a stylesheet the CSP allows. Without branding the
 * pages load nothing extra.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { openSignIn, submitEmail, useGuestpass } from '../support/guestpass.ts';

const logoUri = 'https://cdn.contoso.example/brand/logo.svg?v=2';

function imageSources(csp: string | null): string {
  return /(?:^|; )img-src ([^;]*)/.exec(csp ?? '')?.[1] ?? '';
}

describe('branding on the pages', () => {
  describe('with a logo and an accent colour', () => {
    const gp = useGuestpass({ store: 'memory', config: { organization: { name: 'Contoso <Partners>', logoUri, accentColor: '#7A1F5C' } } });

    it('shows the name and logo above every sign-in page, and links the accent stylesheet', async () => {
      const journey = await openSignIn(gp);
      const { body } = journey.page;
      expect(body).to.match(/<header class="organization">\s*<img src="https:\/\/cdn\.contoso\.example\/brand\/logo\.svg\?v=2" alt="" class="logo"><span class="organization-name">Contoso &lt;Partners&gt;<\/span>/);
      expect(body).to.contain('<link rel="stylesheet" href="/assets/branding.css?v=7a1f5c">');
      expect(body).to.contain('<title>Verify your email – Contoso &lt;Partners&gt;</title>');
      const codePage = await submitEmail(journey, 'brand@example.org');
      expect(codePage.body).to.contain('<span class="organization-name">Contoso &lt;Partners&gt;</span>');
    });

    it('lets pages load images from the logo\'s origin only, on the sign-in pages and on every other page', async () => {
      const journey = await openSignIn(gp);
      expect(imageSources(journey.page.headers.get('content-security-policy'))).to.equal("'self' https://cdn.contoso.example");
      const signedOut = await gp.browser().get('/session/end/success');
      expect(visibleText(signedOut.body)).to.contain('You are signed out on this device.');
      expect(signedOut.body).to.contain(`<img src="${logoUri}"`);
      expect(imageSources(signedOut.headers.get('content-security-policy'))).to.equal("'self' https://cdn.contoso.example");
      const error = await gp.browser().get('/interaction/doesnotexist');
      expect(error.status).to.equal(400);
      expect(error.body).to.contain('class="logo"');
      expect(imageSources(error.headers.get('content-security-policy'))).to.equal("'self' https://cdn.contoso.example");
    });

    it('serves the accent colour and its dark-mode shade as a cacheable stylesheet', async () => {
      const response = await fetch(`${gp.issuer}/assets/branding.css?v=7a1f5c`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('text/css; charset=utf-8');
      expect(response.headers.get('cache-control')).to.equal('public, max-age=3600');
      const css = await response.text();
      expect(css).to.contain(':root { --accent: #7a1f5c; --accent-fg: #fff; }');
      expect(css).to.match(/@media \(prefers-color-scheme: dark\) \{ :root \{ --accent: #[0-9a-f]{6}; --accent-fg: #121316; \} \}/);
    });
  });

  describe('without', () => {
    const gp = useGuestpass({ store: 'memory', config: { organization: { name: 'Contoso' } } });

    it('shows the organisation\'s name alone, loads no accent stylesheet and allows no other image origin', async () => {
      const journey = await openSignIn(gp);
      expect(visibleText(journey.page.body).startsWith('Verify your email – Contoso Contoso Sign-in requested by Test File Host Verify your email')).to.equal(true);
      expect(journey.page.body).to.not.contain('<img');
      expect(journey.page.body).to.not.contain('branding.css');
      expect(imageSources(journey.page.headers.get('content-security-policy'))).to.equal("'self'");
      expect((await fetch(`${gp.issuer}/assets/branding.css`)).status).to.equal(404);
    });
  });
});
