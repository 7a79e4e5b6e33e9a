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
  if (!parsed.success) throw new CorruptRecordError(`${namespace} record`, parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', '), parsed.error);
  return parsed.data;
}
