/**
 * The model of managed keys, pure: no I/O, time passed in.
 *
 * A keyring is a list of generations, newest first. A generation is one signing key per
 * algorithm (RS256, ES256, EdDSA), one cookie key and one secret, made together and switched to
 * together at `activatesAt`. At any instant a generation is
 *
 *   pending   activatesAt still ahead: its public keys are already in the JWKS and its cookie
 *             key and secret already verify and open, on every instance — nothing is signed or
 *             sealed with it yet;
 *   active    the newest generation whose time has come: it signs, sets cookies, seals;
 *   retired   an older one: it only verifies, for as long as something it signed may still be
 *             presented — its signing keys for the longest token lifetime, its cookie key and
 *             secret for `secretRetentionMs` — and is then left out, and dropped at the next save.
 *
 * Threats: a relying party that cached the JWKS must never meet a token signed by a key it has
 * not seen (the lead time is at least the JWKS max-age); a token, cookie, code or queued mail
 * made before a rotation must still verify after it; two instances must agree on which key signs
 * without talking to each other (activation is a point in time stored with the keys, so each
 * instance switches on its own clock, and a token made by an instance that switched first
 * verifies on one that has not, because the pending keys already verify there).
 */
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';

import type { KeyMaterial } from '../keys.ts';

/** EdDSA (Ed25519): oidc-provider 9 signs ID tokens with it for a client that asks. */
export const signingAlgorithms = ['RS256', 'ES256', 'EdDSA'] as const;

export interface KeyGeneration {
  id: number;
  createdAt: number;
  activatesAt: number;
  /** Private JWKs, one per algorithm of `signingAlgorithms`, each with `kid`, `alg` and `use`. */
  signingKeys: JWK[];
  cookieKey: string;
  secret: string;
}

export interface Keyring {
  /** Newest first. */
  generations: KeyGeneration[];
}

export interface KeyringTimes {
  /** How long a new generation is published before it is used. */
  leadTimeMs: number;
  /** How long a retired signing key still verifies: the longest lifetime of a token it signed. */
  tokenRetentionMs: number;
  /** How long a retired cookie key and secret still verify and open. */
  secretRetentionMs: number;
  rotationIntervalMs: number;
}

const jwkSchema = z.looseObject({ kty: z.string(), kid: z.string().min(1), alg: z.string(), use: z.literal('sig') });

export const keyringSchema = z.object({
  generations: z
    .array(
      z.object({
        id: z.int().min(1),
        createdAt: z.number(),
        activatesAt: z.number(),
        signingKeys: z.array(jwkSchema).min(1),
        cookieKey: z.string().min(32),
        secret: z.string().min(32),
      }),
    )
    .min(1),
});

/** The keys an instance uses at `now`, in the order their users need: the one that signs first. */
export interface KeyringView extends KeyMaterial {
  activeGeneration: number;
  /** Changes whenever anything in the view does: an instance applies the view only then. */
  fingerprint: string;
}

export function keyringView(ring: Keyring, now: number, times: KeyringTimes): KeyringView {
  const generations = ring.generations;
  const activeIndex = Math.max(0, generations.findIndex((generation) => generation.activatesAt <= now));
  const active = generations[activeIndex]!;
  const pending = generations.slice(0, activeIndex).reverse();
  // A retired generation stopped being used when the next newer one became active.
  const retired = generations.slice(activeIndex + 1).map((generation, index) => ({ generation, retiredAt: generations[activeIndex + index]!.activatesAt }));
  const verifying = retired.filter(({ retiredAt }) => retiredAt + times.tokenRetentionMs > now).map(({ generation }) => generation);
  const opening = retired.filter(({ retiredAt }) => retiredAt + times.secretRetentionMs > now).map(({ generation }) => generation);

  const keys = [active, ...pending, ...verifying].flatMap((generation) => generation.signingKeys);
  const cookieKeys = [active, ...opening, ...pending].map((generation) => generation.cookieKey);
  const secrets = [active, ...opening, ...pending].map((generation) => generation.secret);
  const fingerprint = [active.id, pending.map((generation) => generation.id).join(','), verifying.map((generation) => generation.id).join(','), opening.map((generation) => generation.id).join(',')].join('/');
  return { jwks: { keys }, cookieKeys, secrets, activeGeneration: active.id, fingerprint };
}

/** When the next automatic rotation is due: one interval after the newest generation became active; never while one is pending. */
export function nextRotationAt(ring: Keyring, times: KeyringTimes): number {
  return ring.generations[0]!.activatesAt + times.rotationIntervalMs;
}

export function pendingGeneration(ring: Keyring, now: number): KeyGeneration | undefined {
  const newest = ring.generations[0]!;
  return newest.activatesAt > now ? newest : undefined;
}

/**
 * The ring with a new pending generation, and without the generations nothing needs any more.
 * The first generation of a new ring is active at once: nobody can have cached an older JWKS.
 */
export async function rotatedKeyring(ring: Keyring | undefined, now: number, times: KeyringTimes): Promise<Keyring> {
  if (!ring) return { generations: [await newGeneration(1, now, now)] };
  const generation = await newGeneration(Math.max(...ring.generations.map((existing) => existing.id)) + 1, now, now + times.leadTimeMs);
  return { generations: [generation, ...prunedGenerations(ring, now, times)] };
}

function prunedGenerations(ring: Keyring, now: number, times: KeyringTimes): KeyGeneration[] {
  const view = keyringView(ring, now, times);
  const kept = new Set(view.jwks.keys.map((key) => key.kid));
  const secrets = new Set(view.secrets);
  return ring.generations.filter((generation) => generation.signingKeys.some((key) => kept.has(key.kid)) || secrets.has(generation.secret));
}

async function newGeneration(id: number, createdAt: number, activatesAt: number): Promise<KeyGeneration> {
  const signingKeys = await Promise.all(signingAlgorithms.map((alg) => newSigningKey(alg)));
  return { id, createdAt, activatesAt, signingKeys, cookieKey: randomBytes(32).toString('base64url'), secret: randomBytes(32).toString('base64url') };
}

async function newSigningKey(alg: (typeof signingAlgorithms)[number]): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}
