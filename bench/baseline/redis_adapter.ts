/**
 * The smallest Redis adapter for oidc-provider that a careful application would write, in the
 * style of oidc-provider's example adapter — the yardstick guestpass's Redis store is measured
 * against, not something to run in production.
 *
 *   key                          type    TTL              purpose
 *   P<Model>:<id>                string  expiresIn        the entry's payload as JSON
 *   P<Model>:<id>                hash    expiresIn        consumable models (codes, refresh tokens): `payload`, `consumed`
 *   P grant:<grantId>            list    longest member   keys of every entry of a grant (revokeByGrantId)
 *   P uid:<uid>                  string  the session's    session id for a session uid
 *   P userCode:<userCode>        string  the entry's      entry id for a device-flow user code
 *
 * Each upsert is one MULTI (one round trip). Consuming is a plain HSET, as in the example: two
 * parallel redemptions of one code can both pass oidc-provider's read — a race guestpass closes
 * and this baseline does not, which is part of what the comparison prices.
 */
import type { Redis } from 'ioredis';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

const consumable = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export function redisAdapterFor(redis: Redis, prefix: string): AdapterConstructor {
  const grantKey = (grantId: string) => `${prefix}grant:${grantId}`;
  const uidKey = (uid: string) => `${prefix}uid:${uid}`;
  const userCodeKey = (userCode: string) => `${prefix}userCode:${userCode}`;

  return class BaselineRedisAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    #key(id: string): string {
      return `${prefix}${this.#model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.#key(id);
      const json = JSON.stringify(payload);
      const multi = redis.multi();
      if (consumable.has(this.#model)) {
        multi.hset(key, 'payload', json);
        if (expiresIn) multi.expire(key, expiresIn);
      } else if (expiresIn) {
        multi.set(key, json, 'EX', expiresIn);
      } else {
        multi.set(key, json);
      }
      if (grantable.has(this.#model) && payload.grantId) {
        const grant = grantKey(payload.grantId);
        multi.rpush(grant, key);
        if (expiresIn) {
          // The list lives as long as its longest member: NX sets a first TTL, GT only lengthens it.
          multi.expire(grant, expiresIn, 'NX');
          multi.expire(grant, expiresIn, 'GT');
        }
      }
      if (payload.uid) multi.set(uidKey(payload.uid), id, 'EX', expiresIn ?? 14 * 24 * 60 * 60);
      if (payload.userCode) multi.set(userCodeKey(payload.userCode), id, 'EX', expiresIn ?? 600);
      await multi.exec();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const key = this.#key(id);
      if (consumable.has(this.#model)) {
        const { payload, consumed } = await redis.hgetall(key);
        if (!payload) return undefined;
        return { ...(JSON.parse(payload) as AdapterPayload), ...(consumed ? { consumed: Number(consumed) } : {}) };
      }
      const json = await redis.get(key);
      return json ? (JSON.parse(json) as AdapterPayload) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(uidKey(uid));
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(userCodeKey(userCode));
      return id ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      await redis.hset(this.#key(id), 'consumed', Math.floor(Date.now() / 1000));
    }

    async destroy(id: string): Promise<void> {
      await redis.del(this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const key = grantKey(grantId);
      const members = await redis.lrange(key, 0, -1);
      await redis.del(...members, key);
    }
  };
}
