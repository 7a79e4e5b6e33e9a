/**
 * What a person sees: plain, accessible forms that work without JavaScript, in their language,
 * behind the security headers; and what a forged or broken request gets (never a 500).
 */
import { expect } from 'chai';

import { findForm, visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { openSignIn, useGuestpass, submitCode, submitEmail } from '../support/guestpass.ts';
import { codeFrom } from '../support/smtp.ts';

describe('sign-in pages', () => {
  const clock = new ManualClock();

  const gp = useGuestpass({ store: 'memory', clock, config: { organization: { name: 'Contoso' } } });
  afterEach(() => clock.advanceSeconds(61));

  it('asks for the email in a labelled form pre-filled from login_hint', async () => {
    const { page } = await openSignIn(gp, { login_hint: 'hinted@example.org' });
    expect(page.status).to.equal(200);
    expect(page.url).to.match(/\/interaction\/[A-Za-z0-9_-]+$/);
    expect(page.body).to.contain('<label for="email">Email address</label>');
    expect(page.body).to.match(/<input id="email" name="email" type="email" autocomplete="email"[^>]*required/);
    expect(page.body).to.contain('value="hinted@example.org"');
    expect(page.body).to.contain('<html lang="en">');
    // No sharing_id: the page asks for the address without a word about a link or something shared.
    expect(visibleText(page.body)).to.contain('Test File Host asks you to confirm your email address with a one-time code.');
    expect(visibleText(page.body)).to.contain('We send the code to this address.');
    expect(visibleText(page.body)).to.not.match(/\blink\b|shared/i);
  });

  it('shows the code page with the masked address, delivery state, resend countdown and help', async () => {
    const journey = await openSignIn(gp);
    const page = await submitEmail(journey, 'john@contoso.com');
    const text = visibleText(page.body);
    expect(text).to.contain('If j***@contoso.com has access, a 6-digit code is on its way to it.');
    expect(text).to.contain('The code works for 10 minutes, once.');
    expect(text).to.match(/Delivery: (Sending…|Sent\.)/);
    expect(text).to.match(/You can ask for a new code in (59|60) s\./);
    expect(text).to.contain('Nothing arrived?');
    expect(text).to.contain('look in your spam or junk folder');
    expect(page.body).to.match(/<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"/);
    expect(page.body).to.contain('<label for="code">Code</label>');
    expect(page.body).to.contain('<label for="keep_signed_in">Keep me signed in on this device</label>');
    expect(findForm(page.body, '/resend').hidden.csrf).to.be.a('string');
    expect(findForm(page.body, '/change-email').hidden.csrf).to.be.a('string');

    await gp.smtp.waitForMail('john@contoso.com');
    // The page says "sending" for a moment whatever the mail does (the same for a withheld code).
    clock.advanceSeconds(3);
    const status = (await (await fetch(`${page.url}/status`, { headers: { cookie: journey.browser.cookies.map((c) => `${c.name}=${c.value}`).join('; ') } })).json()) as Record<string, string>;
    expect(status).to.deep.include({ step: 'code_sent', delivery: 'sent', text: 'Sent.' });
    const reloaded = await journey.browser.get(page.url);
    expect(visibleText(reloaded.body)).to.contain('Delivery: Sent.');
  });

  it('speaks of no link when the sign-in has none: the code page\'s help and the mail say what is true', async () => {
    const journey = await openSignIn(gp);
    const page = await submitEmail(journey, 'nolink@example.org');
    const text = visibleText(page.body);
    expect(text).to.contain('Check that the address is spelled right.');
    expect(text).to.contain('Still nothing? Ask whoever gave you access to check your address.');
    expect(text).to.not.match(/\blink\b|shared/i);
    const mail = await gp.smtp.waitForMail('nolink@example.org');
    expect(mail.text).to.contain('Test File Host asked us to check that nolink@example.org is yours.');
    expect(mail.text).to.not.match(/shared/);
  });

  it('answers every POST with a 303 to the page that shows the result', async () => {
    const journey = await openSignIn(gp);
    const posted = await journey.browser.submit(journey.page, '/email', { email: 'redirect@example.org' }, { follow: false });
    expect(posted.status).to.equal(303);
    expect(posted.headers.get('location')).to.equal(new URL(journey.page.url).pathname);
    journey.page = await journey.browser.get(journey.page.url);
    const code = codeFrom(await gp.smtp.waitForMail('redirect@example.org'));
    const finished = await journey.browser.submit(journey.page, '/code', { code }, { follow: false });
    expect(finished.status).to.equal(303);
    expect(finished.headers.get('location')).to.match(/\/auth\/[A-Za-z0-9_-]+$/);
  });

  it('sets the security headers on sign-in pages', async () => {
    const { page } = await openSignIn(gp);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).to.contain("frame-ancestors 'none'");
    expect(csp).to.contain("default-src 'none'");
    expect(csp).to.contain("form-action 'self' http://rp.test");
    expect(page.headers.get('cache-control')).to.equal('no-store');
    expect(page.headers.get('x-frame-options')).to.equal('DENY');
    expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
  });

  it('refuses a POST without the CSRF token, with a wrong one, or from another site, and sends nothing', async () => {
    const journey = await openSignIn(gp);
    const action = new URL(findForm(journey.page.body, '/email').action, gp.issuer).href;
    const missing = await journey.browser.post(action, { email: 'csrf@example.org' });
    expect(missing.status).to.equal(403);
    expect(visibleText(missing.body)).to.contain('This form expired or did not come from this site');
    const wrong = await journey.browser.post(action, { email: 'csrf@example.org', csrf: 'forged' });
    expect(wrong.status).to.equal(403);
    const csrf = findForm(journey.page.body, '/email').hidden.csrf!;
    const crossSite = await journey.browser.post(action, { email: 'csrf@example.org', csrf }, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).to.equal(403);
    const otherOrigin = await journey.browser.post(action, { email: 'csrf@example.org', csrf }, { headers: { origin: 'http://evil.test' } });
    expect(otherOrigin.status).to.equal(403);
    await gp.smtp.expectNoMail('csrf@example.org');
  });

  it('says when an address is malformed and keeps what was typed', async () => {
    const journey = await openSignIn(gp);
    const page = await submitEmail(journey, 'not-an-address');
    expect(page.status).to.equal(200);
    expect(visibleText(page.body)).to.contain('That does not look like an email address.');
    expect(page.body).to.contain('value="not-an-address"');
    expect(page.body).to.contain('aria-invalid="true"');
  });

  it('lets the person go back and use another address', async () => {
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'first@example.org');
    journey.page = await journey.browser.submit(journey.page, '/change-email');
    expect(visibleText(journey.page.body)).to.contain('Verify your email');
    expect(journey.page.body).to.contain('value="first@example.org"');
  });

  it('speaks Italian with ui_locales=it: pages and the mail', async () => {
    const journey = await openSignIn(gp, { ui_locales: 'it' });
    expect(journey.page.body).to.contain('<html lang="it">');
    expect(visibleText(journey.page.body)).to.contain('Verifica la tua email');
    const page = await submitEmail(journey, 'mario@example.it');
    expect(visibleText(page.body)).to.contain('Se m***@example.it ha accesso, un codice di 6 cifre sta arrivando');
    const mail = await gp.smtp.waitForMail('mario@example.it');
    expect(mail.subject).to.equal('Il tuo codice di verifica per Contoso');
    expect(mail.text).to.contain('Il tuo codice di verifica è:');
    expect(mail.headers['content-language']).to.equal('it');
    const wrong = await submitCode(journey, '000000');
    expect(visibleText(wrong.body)).to.match(/Il codice non è corretto\. Ti restano \d tentativi\./);
  });

  it('follows Accept-Language when ui_locales is absent, and the language links switch it', async () => {
    const journey = await openSignIn(gp, {}, gp.browser({ 'accept-language': 'pt-PT, it;q=0.8, en;q=0.5' }));
    expect(visibleText(journey.page.body)).to.contain('Verifica la tua email');
    const links = [...journey.page.body.matchAll(/<a href="\?lang=(\w+)" hreflang="\1" lang="\1">([^<]+)<\/a>/g)].map((match) => `${match[1]} ${match[2]}`);
    expect(links, 'a link to every other language, in its own name').to.deep.equal(['en English', 'de Deutsch', 'es Español', 'fr Français']);
    expect(journey.page.body).to.contain('<span aria-current="true" lang="it">Italiano</span>');
    const german = await journey.browser.get(`${journey.page.url}?lang=de`);
    expect(german.body).to.contain('<html lang="de">');
    expect(visibleText(german.body)).to.contain('E-Mail-Adresse bestätigen');
    expect(visibleText((await journey.browser.get(journey.page.url)).body), 'the choice sticks').to.contain('E-Mail-Adresse bestätigen');
    const english = await journey.browser.get(`${journey.page.url}?lang=en`);
    expect(visibleText(english.body)).to.contain('Verify your email');
    expect(visibleText((await journey.browser.get(`${journey.page.url}?lang=xx`)).body), 'an unknown language changes nothing').to.contain('Verify your email');
  });

  const languages = [
    { code: 'de', title: 'E-Mail-Adresse bestätigen', codeTitle: 'Code eingeben', sentTo: 'Falls g***@example.org Zugriff hat, ist ein 6-stelliger Code an diese Adresse unterwegs.', subject: 'Ihr Bestätigungscode für Contoso', intro: 'Ihr Bestätigungscode lautet:', wrong: /Dieser Code ist nicht richtig\. Noch \d Versuche\./ },
    { code: 'fr', title: 'Vérifiez votre adresse e-mail', codeTitle: 'Saisissez votre code', sentTo: 'Si f***@example.org a accès, un code à 6 chiffres est en route vers cette adresse.', subject: 'Votre code de vérification pour Contoso', intro: 'Votre code de vérification est\u00a0:', wrong: /Ce code n’est pas le bon\. Encore \d essais\./ },
    { code: 'es', title: 'Verifica tu correo electrónico', codeTitle: 'Introduce tu código', sentTo: 'Si e***@example.org tiene acceso, le está llegando un código de 6 dígitos.', subject: 'Tu código de verificación para Contoso', intro: 'Tu código de verificación es:', wrong: /Ese código no es correcto\. Te quedan \d intentos\./ },
  ];
  for (const language of languages) {
    it(`speaks ${language.code} with ui_locales=${language.code}: pages and the mail`, async () => {
      const email = `${language.code === 'de' ? 'greta' : language.code === 'fr' ? 'fleur' : 'elena'}@example.org`;
      const journey = await openSignIn(gp, { ui_locales: language.code });
      expect(journey.page.body).to.contain(`<html lang="${language.code}">`);
      expect(journey.page.body).to.contain(`<h1>${language.title}</h1>`);
      const page = await submitEmail(journey, email);
      expect(page.body).to.contain(`<h1>${language.codeTitle}</h1>`);
      expect(visibleText(page.body)).to.contain(language.sentTo);
      const mail = await gp.smtp.waitForMail(email);
      expect(mail.subject).to.equal(language.subject);
      expect(mail.text).to.contain(language.intro);
      expect(mail.headers['content-language']).to.equal(language.code);
      expect(visibleText((await submitCode(journey, '000000')).body)).to.match(language.wrong);
    });
  }

  it('shows a friendly page, not a 500, for an unknown or expired interaction and for broken forms', async () => {
    const unknown = await gp.browser().get('/interaction/doesnotexist');
    expect(unknown.status).to.equal(400);
    expect(visibleText(unknown.body)).to.contain('This sign-in page has expired or was already used.');
    const malformed = await gp.browser().get('/interaction/%3Cscript%3E');
    expect(malformed.status).to.equal(400);

    const journey = await openSignIn(gp);
    const action = new URL(findForm(journey.page.body, '/email').action, gp.issuer).href;
    const csrf = findForm(journey.page.body, '/email').hidden.csrf!;
    const array = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: journey.browser.cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
      body: `csrf=${csrf}&email=a@example.org&email=b@example.org`,
      redirect: 'manual',
    });
    expect(array.status).to.equal(400);
    const huge = await journey.browser.post(action, { csrf, email: 'x'.repeat(20_000) });
    expect(huge.status).to.be.oneOf([400, 413]);
    const noCookie = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${csrf}&email=a@example.org`, redirect: 'manual' });
    expect(noCookie.status).to.equal(400);
  });

  it('shows the developer what was wrong with an authorization request, in a page', async () => {
    const page = await gp.browser().get(`/auth?client_id=unknown-client&response_type=code&scope=openid`);
    expect(page.status).to.equal(400);
    expect(page.headers.get('content-type')).to.contain('text/html');
    expect(visibleText(page.body)).to.contain('The app sent an incomplete or invalid sign-in request.');
    expect(visibleText(page.body)).to.contain('invalid_client');
  });

  it('serves health and readiness', async () => {
    expect(await (await fetch(`${gp.issuer}/healthz`)).json()).to.deep.equal({ status: 'ok' });
    expect(await (await fetch(`${gp.issuer}/readyz`)).json()).to.deep.equal({ status: 'ready', store: 'memory', mail: { state: 'ok' } });
  });
});
