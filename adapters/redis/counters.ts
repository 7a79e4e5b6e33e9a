/** Counters and slots in Redis: a hash {count, resetAt} per counter and a string (held until, ms) per slot, each changed by one script. */
import { z } from 'zod';

import type { CounterState, CounterStore } from '../store/counters.ts';
import { RedisPart, toMs } from './connection.ts';
import { parseStored, storedNumber } from './stored.ts';

/** What the counter scripts answer: { count, resetAt }, or nil (no live window) from gpReadCounter. */
const counterReply = z.tuple([z.int(), z.number()]);
/** What gpClaimSlot answers: { 1 if claimed else 0, held until }. */
const claimReply = z.tuple([z.union([z.literal(0), z.literal(1)]), z.number()]);

// Counter and slot keys hold addresses ("codes:ada@example.com"), so errors name the kind, not the key.
export class RedisCounters extends RedisPart implements CounterStore {
  async incrementCounter(key: string, windowSeconds: number, now: number, by = 1): Promise<CounterState> {
    const reply = await this.redis.script('gpIncrementCounter', this.keys.counter(key), by, toMs(windowSeconds), Math.floor(now));
    const [count, resetAt] = parseStored(counterReply, reply, 'counter');
    return { count, resetAt };
  }

  async readCounter(key: string, now: number): Promise<CounterState | undefined> {
    const reply = await this.redis.script('gpReadCounter', this.keys.counter(key), Math.floor(now));
    if (reply === null) return undefined;
    const [count, resetAt] = parseStored(counterReply, reply, 'counter');
    return { count, resetAt };
  }

  async deleteCounter(key: string): Promise<void> {
    await this.redis.run((client) => client.del(this.keys.counter(key)));
  }

  async claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }> {
    const reply = await this.redis.script('gpClaimSlot', this.keys.slot(key), toMs(ttlSeconds), Math.floor(now));
    const [claimed, heldUntil] = parseStored(claimReply, reply, 'slot');
    return { claimed: claimed === 1, availableAt: heldUntil };
  }

  async peekSlot(key: string, now: number): Promise<number | undefined> {
    const value = await this.redis.run((client) => client.get(this.keys.slot(key)));
    const heldUntil = value === null ? undefined : parseStored(storedNumber, value, 'slot');
    return heldUntil !== undefined && heldUntil > now ? heldUntil : undefined;
  }

  async releaseSlot(key: string): Promise<void> {
    await this.redis.run((client) => client.del(this.keys.slot(key)));
  }
}
