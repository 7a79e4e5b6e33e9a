/**
 * The settings form and the policy, both ways: each field with the range, default and
 * description the configuration schema gives it (so the form cannot drift from what the API
 * accepts), the posted form as the object `PUT /api/v1/settings` takes, and the differences
 * between two policies, field by field, for a form that went stale.
 */
import { z } from 'zod';

import { policySchema, type Policy } from '../../config/schema.ts';

export interface SettingsField {
  /** The form field's name: the key's dotted path in the policy (`otp.length`). */
  name: string;
  label: string;
  kind: 'integer' | 'choice' | 'domains' | 'optionalInteger';
  description: string;
  minimum?: number | undefined;
  maximum?: number | undefined;
  choices?: readonly string[] | undefined;
}

type JsonSchema = { properties?: Record<string, JsonSchema>; description?: string; minimum?: number; maximum?: number; enum?: string[]; anyOf?: JsonSchema[]; type?: string };

const labels: Record<string, string> = {
  'otp.length': 'Code length (digits)',
  'otp.ttlSeconds': 'Code lifetime (seconds)',
  'otp.maxAttemptsPerCode': 'Tries per code',
  'otp.resendCooldownSeconds': 'Wait before another code (seconds)',
  'otp.maxCodesPerHour': 'Codes per address per hour',
  'otp.lockoutAfterFailures': 'Wrong codes before a lockout',
  'otp.lockoutSeconds': 'Lockout (seconds)',
  sharingLevel: 'Who can be verified',
  reverificationDays: 'Reverification (days)',
  domains: 'Email domains',
  guestUpgrade: 'Guest upgrade to a work account',
  maxLinkLifetimeDays: 'Longest link lifetime (days)',
};

/** The form's fields, in the schema's order, read from its JSON Schema. */
export function settingsFields(): SettingsField[] {
  const root = z.toJSONSchema(policySchema, { io: 'input' }) as JsonSchema;
  const fields: SettingsField[] = [];
  const walk = (node: JsonSchema, prefix: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const name = `${prefix}${key}`;
      if (name === 'domains') {
        fields.push({ name, label: labels[name]!, kind: 'domains', description: child.description ?? '' });
      } else if (child.properties) {
        walk(child, `${name}.`);
      } else {
        const number = child.anyOf?.find((option) => option.type === 'integer');
        const kind = child.enum ? 'choice' : number ? 'optionalInteger' : 'integer';
        const bounds = number ?? child;
        fields.push({ name, label: labels[name] ?? name, kind, description: child.description ?? '', minimum: bounds.minimum, maximum: bounds.maximum, choices: child.enum });
      }
    }
  };
  walk(root, '');
  return fields;
}

/** The form's values as text, keyed by field name; `domains` as mode and list. */
export type SettingsValues = Record<string, string>;

export function valuesOf(policy: Policy): SettingsValues {
  const values: SettingsValues = {};
  for (const [key, value] of Object.entries(policy.otp)) values[`otp.${key}`] = String(value);
  values.sharingLevel = policy.sharingLevel;
  values.reverificationDays = String(policy.reverificationDays);
  values.guestUpgrade = policy.guestUpgrade;
  values.maxLinkLifetimeDays = policy.maxLinkLifetimeDays === null ? '' : String(policy.maxLinkLifetimeDays);
  values['domains.mode'] = policy.domains.allow ? 'allow' : policy.domains.block ? 'block' : 'any';
  values['domains.list'] = (policy.domains.allow ?? policy.domains.block ?? []).join('\n');
  return values;
}

/** The posted form, as text, with only the fields the form has. */
export function postedValues(body: unknown): SettingsValues {
  const values: SettingsValues = {};
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  for (const field of settingsFields()) {
    const names = field.kind === 'domains' ? ['domains.mode', 'domains.list'] : [field.name];
    for (const name of names) {
      const value = fieldValue(record, name);
      if (typeof value === 'string') values[name] = value.slice(0, 10_000);
    }
  }
  return values;
}

/** A posted field by its dotted name; the body parser may have nested it (`otp.length` → `{otp: {length}}`). */
function fieldValue(record: Record<string, unknown>, name: string): unknown {
  if (name in record) return record[name];
  return name.split('.').reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), record);
}

/** The object `PUT /api/v1/settings` takes; the schema then judges it, with the API's messages. */
export function policyInput(values: SettingsValues): Record<string, unknown> {
  const integer = (name: string) => {
    const text = (values[name] ?? '').trim();
    return /^-?\d{1,12}$/.test(text) ? Number(text) : text;
  };
  const otp: Record<string, unknown> = {};
  for (const field of settingsFields()) if (field.name.startsWith('otp.')) otp[field.name.slice(4)] = integer(field.name);
  const list = (values['domains.list'] ?? '').split(/[\s,]+/).filter(Boolean);
  const mode = values['domains.mode'];
  const lifetime = (values.maxLinkLifetimeDays ?? '').trim();
  return {
    otp,
    sharingLevel: values.sharingLevel,
    reverificationDays: integer('reverificationDays'),
    domains: mode === 'allow' ? { allow: list } : mode === 'block' ? { block: list } : {},
    guestUpgrade: values.guestUpgrade,
    maxLinkLifetimeDays: lifetime === '' ? null : integer('maxLinkLifetimeDays'),
  };
}

/** Fields whose values differ between two policies: `[field label, before, after]`. */
export function changedFields(before: Policy, after: Policy): [string, string, string][] {
  const a = valuesOf(before);
  const b = valuesOf(after);
  const changed: [string, string, string][] = [];
  for (const name of Object.keys(b)) {
    if (a[name] === b[name]) continue;
    const label = name.startsWith('domains.') ? `${labels.domains} (${name === 'domains.mode' ? 'rule' : 'list'})` : (labels[name] ?? name);
    changed.push([label, a[name] || '(none)', b[name] || '(none)']);
  }
  return changed;
}
