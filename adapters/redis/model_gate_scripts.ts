/**
 * Lua of the steps that read an oidc entry together with what sits beside it in other keys (a
 * gate's slot, as gpClaimSlot takes it; a record): never for a Cluster. See scripts.ts for the
 * conventions.
 */
import { claimSlotLua } from './slot_scripts.ts';

export const modelGateScripts = {
  /**
   * Not for a Cluster (its keys span slots): gpClaimSlot, and when claimed the model hash's fields,
   * in one step. KEYS: slot, model hash. ARGV: ttl ms, now ms. Returns { 1 if claimed else 0, held
   * until, the hash's field, value, … (none when not claimed) }. The hash is read before the
   * slot is claimed: a read that fails ends the script with nothing claimed (a script is never
   * rolled back after a write), so the step it gates can be tried again.
   */
  gpClaimSlotAndFindModel: {
    numberOfKeys: 2,
    lua: `${claimSlotLua}
local now, ttl = tonumber(ARGV[2]), tonumber(ARGV[1])
local fields = redis.call('HGETALL', KEYS[2])
local held = claimSlot(KEYS[1], now, ttl)
if held then return { 0, held, {} } end
return { 1, now + ttl, fields }`,
  },
  /** KEYS: model hash, record. Returns { the hash's field, value, …, 1 and the record's JSON, or 0 and '' }. */
  gpFindModelWithRecord: {
    numberOfKeys: 2,
    readOnly: true,
    lua: `
local record = redis.call('GET', KEYS[2])
if record then return { redis.call('HGETALL', KEYS[1]), 1, record } end
return { redis.call('HGETALL', KEYS[1]), 0, '' }`,
  },
} as const;
