/**
 * A recipient whose browser asks for Italian (a context with locale it-IT, so Accept-Language
 * says it) gets guestpass in Italian at every step — the pages, what the page's script writes
 * into them, the mail — without ever choosing a language. The example file host speaks only
 * English, as an example may.
 */
import { expect } from 'chai';

import { startServers, type RunningServers } from './support/servers.ts';
import { enterCode, enterEmail, expectHeading, expectNoPageProblems, mailedCode, mainText, newPerson, nextPage, openTab, shareFromOwnerPage, waitUntilDelivered, wrongCodeFor } from './support/steps.ts';

describe('a recipient whose browser asks for Italian', () => {
  let servers: RunningServers;

  before(async () => {
    servers = await startServers();
  });
  after(async () => {
    await servers?.stop();
  });

  it('gets every guestpass step in Italian, and the mail too', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'q3-report.txt', 'mario@example.it');
    const otherLink = await shareFromOwnerPage(servers, 'roadmap.md', 'lucia@example.it');
    const context = await newPerson(servers.browser, { locale: 'it-IT' });
    const page = await openTab(context);

    await page.goto(linkUrl);
    expect(await page.locator('html').getAttribute('lang')).to.equal('it');
    await expectHeading(page, 'Verifica la tua email');
    expect(await mainText(page)).to.contain('Example File Host usa questa pagina per verificare che tu sia una delle persone con cui ha condiviso qualcosa.');
    expect(await page.getByText('Usa l’indirizzo con cui è stato condiviso il link.').isVisible()).to.equal(true);
    expect(await page.getByRole('navigation', { name: 'Lingua' }).innerText()).to.match(/Italiano/);
    expect(await page.locator('footer').innerText()).to.contain('guestpass · condivisione sicura');
    await page.getByLabel('Indirizzo email').fill('mario@example.it');
    await nextPage(page, () => page.getByRole('button', { name: 'Invia il codice', exact: true }).click());

    await expectHeading(page, 'Inserisci il codice');
    expect(await mainText(page)).to.contain('Se m***@example.it ha accesso, un codice di 6 cifre sta arrivando a quell’indirizzo. Il codice vale 10 minuti, una sola volta.');
    expect(await page.getByRole('heading', { name: 'Non è arrivato nulla?' }).isVisible()).to.equal(true);
    expect(await page.getByRole('button', { name: 'Invia un nuovo codice', exact: true }).isDisabled()).to.equal(true);
    expect(await page.getByRole('button', { name: 'Usa un altro indirizzo email', exact: true }).isVisible()).to.equal(true);
    expect(await page.getByLabel('Mantieni l’accesso su questo dispositivo').isChecked()).to.equal(false);
    // What the page's script writes — the countdown at each tick, the delivery it follows — is Italian too.
    await waitUntilDelivered(page);
    expect(await page.locator('#delivery-state').innerText()).to.equal('Inviato.');
    expect(await page.locator('#resend-timer').innerText()).to.match(/^Potrai chiedere un nuovo codice tra \d+ s\.$/);

    const mail = await servers.smtp.waitForMail('mario@example.it');
    expect(mail.subject).to.equal('Il tuo codice di verifica per guestpass');
    expect(mail.headers['content-language']).to.equal('it');
    expect(mail.text).to.contain('Il tuo codice di verifica è:').and.contain('Example File Host ha condiviso qualcosa con mario@example.it');
    expect(mail.html).to.contain('Il tuo codice di verifica è:');
    const code = await mailedCode(servers.smtp, 'mario@example.it');

    await enterCode(page, wrongCodeFor(code));
    expect(await page.getByRole('alert').innerText()).to.equal('Il codice non è corretto. Ti restano 4 tentativi.');
    await enterCode(page, code);
    expect(page.url()).to.equal(linkUrl);
    await expectHeading(page, 'q3-report.txt shared with you');

    await page.goto(otherLink);
    await expectHeading(page, 'Nessun accesso a questo link');
    expect(await mainText(page)).to.contain('Hai eseguito l’accesso come m***@example.it, e il link che hai aperto non è condiviso con quell’indirizzo.');
    await nextPage(page, () => page.getByRole('button', { name: 'Usa un altro indirizzo email', exact: true }).click());
    await expectHeading(page, 'Verifica la tua email');

    await page.goto(`${servers.gp.issuer}/session/end`);
    await expectHeading(page, 'Uscire?');
    expect(await mainText(page)).to.contain('Vuoi uscire da guestpass su questo dispositivo?');
    await nextPage(page, () => page.getByRole('button', { name: 'Esci', exact: true }).click());
    await expectHeading(page, 'Disconnesso');
    expectNoPageProblems(page);
  });

  it('mails each recipient of one link in the language of their own browser', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'budget.csv', 'paola@example.it, peter@example.org');
    for (const [locale, email, title] of [['it-IT', 'paola@example.it', 'Inserisci il codice'], ['en-GB', 'peter@example.org', 'Enter your code']] as const) {
      const page = await openTab(await newPerson(servers.browser, { locale }));
      await page.goto(linkUrl);
      await enterEmail(page, email);
      await expectHeading(page, title);
      const mail = await servers.smtp.waitForMail(email);
      expect(mail.headers['content-language'], `the mail to ${email}`).to.equal(locale.slice(0, 2));
      expectNoPageProblems(page);
    }
  });
});
