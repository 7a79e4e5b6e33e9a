/**
 * Reading back what the Redis store wrote. Everything the store keeps for itself is parsed on the
 * way out with the schema of what it writes, so a record that is not what we wrote (edited by
 * hand, cut short, written by something else) is a `CorruptRecordError` naming the record and
 * the field, never a wrong value passed on: a `NaN` attempt count or a missing digest would
 * otherwise reach the sign-in silently. JSON records are read as loose objects: a field this
 * version does not know (one a newer instance wrote) is kept, so a save here does not drop it.
 */
import { z } from 'zod';

import { CorruptRecordError } from '../errors.ts';

/** A number as a hash field holds it: a decimal string, never empty, never NaN or infinite. */
export const storedNumber = z.string().min(1).pipe(z.coerce.number());

export const storedInteger = storedNumber.pipe(z.int());

/**
 * Any JSON value: for a record whose own reader parses it (src/records.ts). Built once: building a
 * zod schema costs more than parsing with it (a `z.unknown()` per read was 0.6 % of the server's CPU
 * in a sign-in bench profile).
 */
export const anyJson = z.unknown();

function problemsOf(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length === 0 ? '(the value)' : issue.path.join('.')}: ${issue.message}`).join('; ');
}

export function parseStored<S extends z.ZodType>(schema: S, stored: unknown, what: string): z.output<S> {
  const result = schema.safeParse(stored);
  if (!result.success) throw new CorruptRecordError(what, problemsOf(result.error), result.error);
  return result.data;
}

export function parseStoredJson<S extends z.ZodType>(schema: S, json: string, what: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new CorruptRecordError(what, 'not JSON', error);
  }
  return parseStored(schema, value, what);
}

/** A flat reply of alternating field and value (HGETALL, XRANGE entries) as a record. */
export function pairsToRecord(pairs: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < pairs.length; index += 2) record[pairs[index]!] = pairs[index + 1]!;
  return record;
}

/** The fields of a hash in the order given (HSET's field, value, …); undefined fields are left out. */
export function hashFields<T extends object>(value: T, fields: readonly (keyof T & string)[]): string[] {
  return fields.flatMap((field) => (value[field] === undefined ? [] : [field, String(value[field])]));
}
