/**
 * Managed keys at run time: the keyring in the store, sealed with the key-encryption key
 * (`keys.encryptionKey`), read by every instance every `keys.pollIntervalSeconds`, rotated on a
 * schedule or on demand. The model (generations, lead time, retirement) is src/keyring/ring.ts.
 *
 * Instances agree through the store only: a rotation is a compare-and-set on the ring's
 * version, so when two instances rotate at once one wins and the other adopts its ring. What an
 * instance uses is `material`, whose arrays are replaced in place, so every part that was handed
 * them (the sign-in flow, the outbox, the console, the API's token check) reads the current keys;
 * the Providers attached get their signing and cookie keys replaced (provider_keystore.ts).
 *
 * Threats: the store (or a backup of it) alone gives no key: the ring is sealed with AES-256-GCM
 * under a key the store does not have, and a ring that does not open stops start-up rather than
 * being replaced (replacing it would sign everyone out and strand queued mail). No key material
 * is logged or audited: only generation numbers, key ids and times.
 */
import type Provider from 'oidc-provider';

import type { KeyringStore } from '../../adapters/store.ts';
import type { Config } from '../../config/schema.ts';
import { ConfigError, ConflictError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { KeyMaterial } from '../keys.ts';
import type { Logger } from '../log.ts';
import { seal, unseal, type SealPurpose } from '../mail/sealing.ts';
import { signedTokenTtlSeconds } from '../provider.ts';
import { replaceCookieKeys, replaceSigningKeys } from './provider_keystore.ts';
import { keyringSchema, keyringView, nextRotationAt, pendingGeneration, rotatedKeyring, type Keyring, type KeyringTimes, type KeyringView } from './ring.ts';

const keyringPurpose: SealPurpose = { salt: 'guestpass-keyring', info: 'sealed-keyring-v1' };

export interface ManagedKeysDeps {
  store: KeyringStore;
  encryptionKey: string;
  clock: Clock;
  logger: Logger;
  times: KeyringTimes;
  pollIntervalMs: number;
  /** Told of each rotation the schedule made on this instance (the audit records it as `KeysRotated`). */
  onScheduledRotation?: (outcome: RotationOutcome) => Promise<void>;
}

/** What a rotation did, for the CLI, the API and the audit: no key material. */
export interface RotationOutcome {
  generation: number;
  activatesAt: string;
  kids: string[];
}

export interface KeyringStatus {
  version: number;
  activeGeneration: number;
  pending?: { generation: number; activatesAt: string };
  nextRotationAt: string;
  keys: { kid: string; alg: string; generation: number; state: 'active' | 'pending' | 'retired' }[];
}

export class ManagedKeys {
  readonly material: KeyMaterial;
  readonly #deps: ManagedKeysDeps;
  readonly #providers = new Set<Provider>();
  #ring: Keyring;
  #version: number;
  #view: KeyringView;
  #poller: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(deps: ManagedKeysDeps, ring: Keyring, version: number) {
    this.#deps = deps;
    this.#ring = ring;
    this.#version = version;
    this.#view = keyringView(ring, deps.clock.now(), deps.times);
    this.material = { jwks: { keys: [...this.#view.jwks.keys] }, cookieKeys: [...this.#view.cookieKeys], secrets: [...this.#view.secrets] };
  }

  /** Reads the keyring, or makes the first one when the store has none; refuses one that does not open. */
  static async open(deps: ManagedKeysDeps): Promise<ManagedKeys> {
    for (;;) {
      const stored = await deps.store.getKeyring();
      if (stored) return new ManagedKeys(deps, openKeyring(stored.sealed, deps.encryptionKey), stored.version);
      const ring = await rotatedKeyring(undefined, deps.clock.now(), deps.times);
      if (await deps.store.saveKeyring(seal([deps.encryptionKey], ring, keyringPurpose), deps.clock.now(), undefined)) {
        deps.logger.info({ generation: 1 }, 'created the managed keyring');
        return new ManagedKeys(deps, ring, 1);
      }
      // Another instance made the first ring at the same moment: use that one.
    }
  }

  /** Gives `provider` the current keys now and every new set from now on. */
  attach(provider: Provider): void {
    this.#applyTo(provider, this.#view);
    this.#providers.add(provider);
  }

  /** Polls the store and rotates when the schedule says so; the first refresh runs after one interval. */
  start(): void {
    if (this.#poller) return;
    this.#poller = setInterval(() => {
      this.refresh().catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'could not refresh the managed keys; the current ones stay in use'));
    }, this.#deps.pollIntervalMs);
    this.#poller.unref();
  }

  stop(): void {
    clearInterval(this.#poller);
    this.#poller = undefined;
  }

  /** Adopts the stored ring when it changed, rotates when one is due, and switches keys whose time has come. */
  refresh(): Promise<void> {
    // A refresh asked for while one waits or runs is that one.
    this.#refreshing ??= this.#exclusive(() => this.#refresh()).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** One step at a time per instance: a poll and an API rotation must not interleave their reads and saves. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(work, work);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #refresh(): Promise<void> {
    await this.#load();
    const now = this.#deps.clock.now();
    if (!pendingGeneration(this.#ring, now) && now >= nextRotationAt(this.#ring, this.#deps.times)) {
      const outcome = await this.#rotate();
      if (outcome) {
        this.#deps.logger.info({ generation: outcome.generation, activatesAt: outcome.activatesAt }, 'rotated the managed keys on schedule');
        await this.#deps.onScheduledRotation?.(outcome);
      }
    }
    await this.#apply();
  }

  /**
   * Makes a new pending generation (on demand). Refused (409) while one is pending: it would
   * replace keys relying parties may have just fetched, before they were ever used.
   */
  rotate(): Promise<RotationOutcome> {
    return this.#exclusive(() => this.#rotateOnDemand());
  }

  async #rotateOnDemand(): Promise<RotationOutcome> {
    await this.#load();
    const pending = pendingGeneration(this.#ring, this.#deps.clock.now());
    if (pending) throw new ConflictError(`generation ${pending.id} is already pending until ${new Date(pending.activatesAt).toISOString()}; rotate again after it is active`);
    const outcome = await this.#rotate();
    if (!outcome) throw new ConflictError('another instance rotated the keys at the same moment; see the current state and try again if needed');
    await this.#apply();
    return outcome;
  }

  status(): KeyringStatus {
    const now = this.#deps.clock.now();
    const view = keyringView(this.#ring, now, this.#deps.times);
    const published = new Set(view.jwks.keys.map((key) => key.kid));
    const pending = pendingGeneration(this.#ring, now);
    return {
      version: this.#version,
      activeGeneration: view.activeGeneration,
      ...(pending ? { pending: { generation: pending.id, activatesAt: new Date(pending.activatesAt).toISOString() } } : {}),
      nextRotationAt: new Date(nextRotationAt(this.#ring, this.#deps.times)).toISOString(),
      keys: this.#ring.generations.flatMap((generation) =>
        generation.signingKeys
          .filter((key) => published.has(key.kid))
          .map((key) => ({
            kid: key.kid!,
            alg: key.alg!,
            generation: generation.id,
            state: generation.id === view.activeGeneration ? ('active' as const) : generation.activatesAt > now ? ('pending' as const) : ('retired' as const),
          })),
      ),
    };
  }

  /** Saves a rotated ring over the version this instance holds; undefined when another instance saved first (its ring is then adopted). */
  async #rotate(): Promise<RotationOutcome | undefined> {
    const now = this.#deps.clock.now();
    const version = this.#version;
    const ring = await rotatedKeyring(this.#ring, now, this.#deps.times);
    if (!(await this.#deps.store.saveKeyring(seal([this.#deps.encryptionKey], ring, keyringPurpose), now, version))) {
      await this.#load();
      return undefined;
    }
    this.#ring = ring;
    this.#version = version + 1;
    const generation = ring.generations[0]!;
    return { generation: generation.id, activatesAt: new Date(generation.activatesAt).toISOString(), kids: generation.signingKeys.map((key) => key.kid!) };
  }

  async #load(): Promise<void> {
    const stored = await this.#deps.store.getKeyring();
    if (!stored || stored.version === this.#version) return;
    if (stored.version < this.#version) return;
    this.#ring = openKeyring(stored.sealed, this.#deps.encryptionKey);
    this.#version = stored.version;
  }

  async #apply(): Promise<void> {
    const view = keyringView(this.#ring, this.#deps.clock.now(), this.#deps.times);
    if (view.fingerprint === this.#view.fingerprint) return;
    // The Providers first: should one refuse the keys, nothing has switched and the next poll tries again.
    for (const provider of this.#providers) this.#applyTo(provider, view);
    this.#view = view;
    this.material.jwks.keys.splice(0, Infinity, ...view.jwks.keys);
    this.material.cookieKeys.splice(0, Infinity, ...view.cookieKeys);
    this.material.secrets.splice(0, Infinity, ...view.secrets);
    this.#deps.logger.info({ activeGeneration: view.activeGeneration, kids: view.jwks.keys.map((key) => key.kid) }, 'switched to the current managed keys');
  }

  #applyTo(provider: Provider, view: KeyringView): void {
    replaceSigningKeys(provider, view.jwks);
    replaceCookieKeys(provider, view.cookieKeys);
  }
}

function openKeyring(sealed: string, encryptionKey: string): Keyring {
  const opened = unseal<unknown>([encryptionKey], sealed, keyringPurpose);
  const parsed = opened === undefined ? undefined : keyringSchema.safeParse(opened);
  if (!parsed?.success) {
    throw new ConfigError(['keys.encryptionKey: cannot open the keyring in the store with this key (a different key than the one that sealed it?); set the key it was sealed with, or delete the keyring to start over with new keys']);
  }
  return parsed.data as Keyring;
}

/** The timings of managed keys from the configuration (docs/operations.md, "Keys"). */
export function keyringTimes(keys: Config['keys']): KeyringTimes {
  const day = 24 * 60 * 60 * 1000;
  return {
    leadTimeMs: keys.leadTimeSeconds * 1000,
    tokenRetentionMs: Math.max(...Object.values(signedTokenTtlSeconds)) * 1000,
    // Cookie keys sign sessions and secrets seal console sessions and queued mail: kept one rotation interval, longer than any of them.
    secretRetentionMs: keys.rotationIntervalDays * day,
    rotationIntervalMs: keys.rotationIntervalDays * day,
  };
}

export function openManagedKeys(
  config: Config,
  store: KeyringStore,
  clock: Clock,
  logger: Logger,
  onScheduledRotation?: ManagedKeysDeps['onScheduledRotation'],
): Promise<ManagedKeys> {
  const { encryptionKey, pollIntervalSeconds } = config.keys;
  if (!encryptionKey) throw new ConfigError(['keys.encryptionKey: required in managed key mode (the keyring is sealed with it)']);
  return ManagedKeys.open({ store, encryptionKey, clock, logger, times: keyringTimes(config.keys), pollIntervalMs: pollIntervalSeconds * 1000, onScheduledRotation });
}
