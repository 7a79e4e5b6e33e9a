/**
 * Reading the small JSON records of `RecordStore` (sign-ins, notices, grant context, invitations,
 * tickets, federation state). The store keeps them as given and never looks inside; whoever
 * reads one parses it with the schema of its shape, so a record cut short, written by hand or by
 * another version is refused as corrupt instead of passed on as a wrong value.
 */
import type { z } from 'zod';

import { CorruptRecordError } from '../adapters/errors.ts';
import type { RecordNamespace, RecordStore } from '../adapters/store.ts';

export async function readRecord<S extends z.ZodType>(store: Pick<RecordStore, 'getRecord'>, namespace: RecordNamespace, id: string, schema: S): Promise<z.output<S> | undefined> {
  const stored: unknown = await store.getRecord(namespace, id);
  if (stored === undefined) return undefined;
  const parsed = schema.safeParse(stored);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(the value)' : issue.path.join('.')}: ${issue.message}`).join('; ');
    // Named by namespace, never by id: some ids (a federation state) are secrets of their own.
    throw new CorruptRecordError(`${namespace} record`, problems, parsed.error);
  }
  return parsed.data;
}
