/**
 * Store errors carry no HTTP status: adapters know nothing of HTTP. The API and the sign-in pages
 * answer them in their own way; for every other route (invitations, the federation callback, …)
 * this hands koa the GuestpassError it answers with, so a store outage stays a 503 there too.
 */
import type { Context, Next } from 'koa';

import { storeErrorAsGuestpassError } from '../errors.ts';

export async function storeErrorsAsHttpErrors(_ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    throw storeErrorAsGuestpassError(error);
  }
}
