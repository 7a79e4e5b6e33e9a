/** Reading a console page's query: every parameter through zod, and the fixed notices a finished form leaves. */
import { z } from 'zod';

import { describeZodError } from '../../../src/api/errors.ts';
import { InvalidRequestError } from '../../../src/errors.ts';
import type { Notice } from '../views/layout.ts';

/** An optional text parameter; empty means not set, as a form with an empty field sends it. */
export const text = (max: number) => z.preprocess((value) => (value === '' ? undefined : value), z.string().trim().max(max).optional());
export const pageCursor = text(512);

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new InvalidRequestError(`query: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** What a form that finished says on the page it lands on; fixed texts, so a crafted URL cannot put words on the page. */
const notices: Record<string, string> = {
  expiry_changed: 'The expiry was changed.',
  recipient_removed: 'The recipient was removed from the link, and what guestpass issued them for it has ended.',
  link_deleted: 'The link was deleted.',
  disabled: 'The person was disabled and their sessions ended.',
  enabled: 'The person was enabled.',
  sessions_revoked: 'Every session of this person ended.',
  person_deleted: 'The person was deleted.',
  client_deleted: 'The client was deleted; its secret no longer works.',
  settings_saved: 'The settings were saved. They apply at once, on every instance.',
};

export function noticeFor(done: string | undefined): Notice | undefined {
  const text = done === undefined ? undefined : notices[done];
  return text === undefined ? undefined : { kind: 'info', text };
}
