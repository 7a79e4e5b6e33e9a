/**
 * Changing the sharing policy at runtime, whoever asks (`PUT /api/v1/settings`, the admin
 * console): conditional on the version the caller read (`expectedVersion`, the ETag; undefined
 * or `*` for any), audited as `SettingsUpdated`, retried when another change lands between the
 * read and the write of an unconditional change.
 */
import type { AuditActor } from '../adapters/store.ts';
import type { Policy } from '../config/schema.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import { ConflictError, PreconditionFailedError } from './errors.ts';
import type { PolicyChange, StorePolicySource } from './policy.ts';

export async function replaceSettings(
  { policy, audit }: { policy: StorePolicySource; audit: AuditLog },
  next: Policy,
  expectedVersion: string | undefined,
  actor: AuditActor,
  origin: RequestOrigin,
): Promise<PolicyChange> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const current = await policy.current();
    if (expectedVersion && expectedVersion !== '*' && expectedVersion !== String(current.version)) {
      throw new PreconditionFailedError(`the settings are at version ${current.version}, not ${expectedVersion}; read them again`);
    }
    const change = await policy.replace(next, current.version);
    if (!change) continue;
    await audit.record('SettingsUpdated', { actor, detail: { changed: change.changed, version: change.version }, ...origin });
    return change;
  }
  throw new ConflictError('the settings are changing too often; try again');
}
