/** A console page that says what went wrong: the same words the management API would answer with. */
import { html } from '../../../src/html.ts';
import type { ConsoleUser } from '../context.ts';
import { consoleLayout } from './layout.ts';

export function consoleErrorPage(organizationName: string, user: ConsoleUser | undefined, title: string, message: string, back: string | undefined): string {
  return consoleLayout(
    { title, organizationName, user, notice: { kind: 'error', text: message } },
    html`${back ? html`<p><a href="${back}">Back</a></p>` : html`<p><a href="/admin">Back to the overview</a></p>`}`,
  );
}
