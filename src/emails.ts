/** Email addresses: how they are parsed, compared and shown. */
import { z } from 'zod';

/** Emails are compared trimmed and lower-cased; the original spelling is kept for display. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const emailSchema = z.string().trim().max(254, 'is too long').pipe(z.email({ error: 'is not an email address' }));

export function parseEmail(input: unknown): { display: string; normalized: string } | undefined {
  const result = emailSchema.safeParse(input);
  return result.success ? { display: result.data, normalized: normalizeEmail(result.data) } : undefined;
}

/** The domain of an address, normalised: what domain lists and federation entries are matched against. */
export function domainOf(email: string): string {
  const normalized = normalizeEmail(email);
  return normalized.slice(normalized.lastIndexOf('@') + 1);
}

/** `john@contoso.com` → `j***@contoso.com`: enough to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
