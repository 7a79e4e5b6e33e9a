/**
 * The pure parts of managed keys: which generation signs when, what the JWKS holds, the choice of
 * key mode from the configuration — and the one reach into oidc-provider's internals, which fails
 * here first if an upgrade changes it (src/keyring/provider_keystore.ts).
 */
import { expect } from 'chai';
import Provider from 'oidc-provider';
// The internal-instance reader oidc-provider itself uses: only this test looks through it.
import { get as internalsOf } from 'oidc-provider/lib/helpers/weak_cache.js';

import { keyMode, loadConfig, parseConfig } from '../../config/load.ts';
import { CookieKeys } from '../../src/http/cookie_keys.ts';
import { replaceCookieKeys, replaceSigningKeys } from '../../src/keyring/provider_keystore.ts';
import { keyringView, nextRotationAt, pendingGeneration, rotatedKeyring, type KeyringTimes } from '../../src/keyring/ring.ts';
import { problemsOf } from '../support/config.ts';

const minute = 60_000;
const times: KeyringTimes = { leadTimeMs: 60 * minute, tokenRetentionMs: 60 * minute, secretRetentionMs: 90 * 24 * 60 * minute, rotationIntervalMs: 90 * 24 * 60 * minute };

describe('managed keys: the keyring model', () => {
  it('makes a first generation active at once, with RS256, ES256 and EdDSA keys, a cookie key and a secret', async () => {
    const ring = await rotatedKeyring(undefined, 0, times);
    const view = keyringView(ring, 0, times);
    expect(view.activeGeneration).to.equal(1);
    expect(view.jwks.keys.map((key) => key.alg)).to.deep.equal(['RS256', 'ES256', 'EdDSA']);
    expect(view.cookieKeys).to.have.length(1);
    expect(view.secrets).to.have.length(1);
    expect(nextRotationAt(ring, times)).to.equal(times.rotationIntervalMs);
  });

  it('publishes a new generation before it signs, then signs with it, then drops the old signing keys once their tokens expired', async () => {
    const first = await rotatedKeyring(undefined, 0, times);
    const ring = await rotatedKeyring(first, 10 * minute, times);
    const [next, old] = ring.generations;
    expect(pendingGeneration(ring, 10 * minute)?.id).to.equal(2);

    const pending = keyringView(ring, 69 * minute, times);
    expect(pending.activeGeneration).to.equal(1);
    expect(pending.jwks.keys.map((key) => key.kid)).to.deep.equal([...old!.signingKeys, ...next!.signingKeys].map((key) => key.kid));
    // The new secret and cookie key already open what another instance that switched first made, but do not sign.
    expect(pending.secrets).to.deep.equal([old!.secret, next!.secret]);
    expect(pending.cookieKeys).to.deep.equal([old!.cookieKey, next!.cookieKey]);

    const switched = keyringView(ring, 70 * minute, times);
    expect(switched.activeGeneration).to.equal(2);
    expect(switched.jwks.keys.map((key) => key.kid)).to.deep.equal([...next!.signingKeys, ...old!.signingKeys].map((key) => key.kid));
    expect(switched.secrets).to.deep.equal([next!.secret, old!.secret]);

    const expired = keyringView(ring, 130 * minute, times);
    expect(expired.jwks.keys.map((key) => key.kid)).to.deep.equal(next!.signingKeys.map((key) => key.kid));
    expect(expired.secrets).to.deep.equal([next!.secret, old!.secret]);
    expect(keyringView(ring, 70 * minute + times.secretRetentionMs, times).secrets).to.deep.equal([next!.secret]);
  });

  it('drops from the stored ring only the generations nothing uses any more', async () => {
    let ring = await rotatedKeyring(undefined, 0, times);
    ring = await rotatedKeyring(ring, 0, times);
    ring = await rotatedKeyring(ring, 2 * times.leadTimeMs, times);
    expect(ring.generations.map((generation) => generation.id)).to.deep.equal([3, 2, 1]);
    // Generation 2 retired when 3 became active (at 3 lead times); its secret is kept for secretRetentionMs after that.
    ring = await rotatedKeyring(ring, 3 * times.leadTimeMs + times.secretRetentionMs - 1, times);
    expect(ring.generations.map((generation) => generation.id)).to.deep.equal([4, 3, 2]);
    ring = await rotatedKeyring(ring, 3 * times.leadTimeMs + times.secretRetentionMs + 1, times);
    expect(ring.generations.map((generation) => generation.id)).to.deep.equal([5, 4, 3]);
  });
});

describe('managed keys: choosing the key mode', () => {
  const secret = 's'.repeat(40);

  it('keeps static keys when none is configured (development keys file), or when static keys are given', () => {
    expect(keyMode(parseConfig({}))).to.equal('static');
    expect(keyMode(parseConfig({ keys: { secrets: [secret], cookies: [secret] } }))).to.equal('static');
    expect(keyMode(parseConfig({ keys: { secrets: [secret], encryptionKey: secret } }))).to.equal('static');
  });

  it('manages keys when only a key-encryption key is given, or when asked to', () => {
    expect(keyMode(parseConfig({ keys: { encryptionKey: secret } }))).to.equal('managed');
    expect(keyMode(parseConfig({ keys: { mode: 'managed', encryptionKey: secret } }))).to.equal('managed');
  });

  it('refuses managed mode without a key-encryption key, or with static keys beside it, naming the field', () => {
    expect(problemsOf(() => parseConfig({ keys: { mode: 'managed' } }))).to.include('keys.encryptionKey: required in managed key mode (the keyring is sealed with it)');
    expect(problemsOf(() => parseConfig({ keys: { mode: 'managed', encryptionKey: secret, secrets: [secret] } }))).to.include('keys.secrets: not used in managed key mode; remove it, or set keys.mode to "static"');
    expect(problemsOf(() => parseConfig({ keys: { encryptionKey: 'short' } })).join('\n')).to.match(/^keys\.encryptionKey.*32/m);
    expect(problemsOf(() => parseConfig({ keys: { leadTimeSeconds: 60 } })).join('\n')).to.match(/^keys\.leadTimeSeconds.*at least 300/m);
    expect(problemsOf(() => parseConfig({ keys: { encryptionKey: secret, leadTimeSeconds: 300, pollIntervalSeconds: 300 } }))).to.include('keys.pollIntervalSeconds: must be shorter than keys.leadTimeSeconds (300)');
  });

  it('reads the key-encryption key from KEYS_ENCRYPTION_KEY', () => {
    expect(loadConfig({ KEYS_ENCRYPTION_KEY: secret }).keys.encryptionKey).to.equal(secret);
  });
});

describe('managed keys: oidc-provider internals (checked against 9.13.3)', () => {
  it('replaces the keys a running Provider signs with and publishes, the first of each algorithm signing', async () => {
    const first = await rotatedKeyring(undefined, 0, times);
    const ring = await rotatedKeyring(first, 0, times);
    const [next, old] = ring.generations;
    const provider = new Provider('http://127.0.0.1:1', { jwks: { keys: old!.signingKeys } as never });
    const signer = (alg: string) => (internalsOf(provider) as { keystore: { selectForSign(options: { alg: string }): { kid: string }[] } }).keystore.selectForSign({ alg })[0]?.kid;
    const published = () => (internalsOf(provider) as { jwks: { keys: { kid: string; d?: string }[] } }).jwks.keys;
    expect(signer('RS256')).to.equal(old!.signingKeys[0]!.kid);

    replaceSigningKeys(provider, { keys: [...next!.signingKeys, ...old!.signingKeys] });
    expect(signer('RS256')).to.equal(next!.signingKeys[0]!.kid);
    expect(signer('ES256')).to.equal(next!.signingKeys[1]!.kid);
    expect(signer('EdDSA')).to.equal(next!.signingKeys[2]!.kid);
    expect(published().map((key) => key.kid)).to.deep.equal([...next!.signingKeys, ...old!.signingKeys].map((key) => key.kid));
    expect(published().every((key) => key.d === undefined)).to.equal(true);

    replaceCookieKeys(provider, [next!.cookieKey, old!.cookieKey]);
    const cookieKeys = provider.keys as unknown as { sign(data: string): string; index(data: string, digest: string): number };
    const signedBy = (key: string) => new CookieKeys([key]).sign('gp_interaction=abc');
    expect(cookieKeys.sign('gp_interaction=abc'), 'signs with the new key').to.equal(signedBy(next!.cookieKey));
    expect(cookieKeys.index('gp_interaction=abc', signedBy(old!.cookieKey)), 'still accepts the old one').to.equal(1);
  });
});
