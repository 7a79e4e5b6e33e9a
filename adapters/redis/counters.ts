/** Counters and slots in Redis: a hash {count, resetAt} per counter and a string (held until, ms) per slot, each changed by one script. */
import type { CounterState, CounterStore } from '../store/counters.ts';
import { RedisPart, toMs } from './connection.ts';

export class RedisCounters extends RedisPart implements CounterStore {
  async incrementCounter(key: string, windowSeconds: number, now: number, by = 1): Promise<CounterState> {
    const [count, resetAt] = (await this.redis.script('gpIncrementCounter', this.keys.counter(key), by, toMs(windowSeconds), Math.floor(now))) as [number, number];
    return { count, resetAt };
  }

  async readCounter(key: string, now: number): Promise<CounterState | undefined> {
    const reply = (await this.redis.script('gpReadCounter', this.keys.counter(key), Math.floor(now))) as [number, number] | null;
    return reply === null ? undefined : { count: reply[0], resetAt: reply[1] };
  }

  async deleteCounter(key: string): Promise<void> {
    await this.redis.run((client) => client.del(this.keys.counter(key)));
  }

  async claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }> {
    const [claimed, heldUntil] = (await this.redis.script('gpClaimSlot', this.keys.slot(key), toMs(ttlSeconds), Math.floor(now))) as [number, number];
    return { claimed: claimed === 1, availableAt: heldUntil };
  }

  async peekSlot(key: string, now: number): Promise<number | undefined> {
    const value = await this.redis.run((client) => client.get(this.keys.slot(key)));
    const heldUntil = value === null ? undefined : Number(value);
    return heldUntil !== undefined && heldUntil > now ? heldUntil : undefined;
  }

  async releaseSlot(key: string): Promise<void> {
    await this.redis.run((client) => client.del(this.keys.slot(key)));
  }
}
