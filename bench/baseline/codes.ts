/**
 * Where the baseline keeps the one pending email code of an interaction: one Redis string with a
 * TTL (`P EmailCode:<uid>`), or a Map beside oidc-provider's in-memory adapter. Only a hash of
 * the code is kept, as any application would.
 */
import type { Redis } from 'ioredis';

export interface PendingCode {
  email: string;
  /** sha256 of the code, hex. */
  digest: string;
  attempts: number;
}

export interface CodeStore {
  get(uid: string): Promise<PendingCode | undefined>;
  put(uid: string, code: PendingCode, ttlSeconds: number): Promise<void>;
  delete(uid: string): Promise<void>;
}

export function redisCodeStore(redis: Redis, prefix: string): CodeStore {
  const key = (uid: string) => `${prefix}EmailCode:${uid}`;
  return {
    async get(uid) {
      const json = await redis.get(key(uid));
      return json ? (JSON.parse(json) as PendingCode) : undefined;
    },
    async put(uid, code, ttlSeconds) {
      await redis.set(key(uid), JSON.stringify(code), 'EX', ttlSeconds);
    },
    async delete(uid) {
      await redis.del(key(uid));
    },
  };
}

export function memoryCodeStore(): CodeStore {
  const codes = new Map<string, { code: PendingCode; expiresAt: number }>();
  // Abandoned codes go on a timer rather than on read, so the map cannot grow without bound.
  setInterval(() => {
    const now = Date.now();
    for (const [uid, entry] of codes) if (entry.expiresAt <= now) codes.delete(uid);
  }, 60_000).unref();
  return {
    async get(uid) {
      const entry = codes.get(uid);
      return entry && entry.expiresAt > Date.now() ? entry.code : undefined;
    },
    async put(uid, code, ttlSeconds) {
      codes.set(uid, { code, expiresAt: Date.now() + ttlSeconds * 1000 });
    },
    async delete(uid) {
      codes.delete(uid);
    },
  };
}
