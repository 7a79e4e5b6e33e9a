/** The console's pages around signing in: refused, failed, session ended, signed out. */
import { html } from '../../../src/html.ts';
import { consoleLayout } from './layout.ts';

export function refusedPage(organizationName: string): string {
  return consoleLayout({ title: 'No access to the console', organizationName }, html`<p>You signed in, but you are not an admin or auditor of this console.</p>
<p>An administrator names who may use it in the configuration (<code>admin.emails</code>, <code>admin.auditorEmails</code>, <code>admin.groups</code>).</p>`);
}

export function signInFailedPage(organizationName: string, reason: string | undefined): string {
  return consoleLayout({ title: 'Sign-in did not finish', organizationName }, html`<p>The sign-in to the console did not finish${reason ? html` (${reason})` : ''}.</p>
<p><a href="/admin/sign-in">Sign in again</a></p>`);
}

export function sessionEndedPage(organizationName: string): string {
  return consoleLayout({ title: 'Your console session has ended', organizationName }, html`<p>Nothing was changed. Sign in again to go on.</p><p><a href="/admin/sign-in">Sign in</a></p>`);
}

export function signedOutPage(organizationName: string, endSessionUrl: string | undefined): string {
  return consoleLayout({ title: 'Signed out of the console', organizationName }, html`<p>Your console session has ended.</p>
${endSessionUrl
  ? html`<p>You may still be signed in to ${organizationName} in this browser, which would let you back in without a new code. <a href="${endSessionUrl}">Sign out of ${organizationName} too</a>.</p>`
  : ''}
<p><a href="/admin/sign-in">Sign in again</a></p>`);
}
