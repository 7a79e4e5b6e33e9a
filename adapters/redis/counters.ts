/** Counters and slots in Redis: a hash {count, resetAt} per counter and a string (held until, ms) per slot, each changed by one script. */
import { z } from 'zod';

import type { CounterState, CounterStore } from '../store/counters.ts';
import { RedisPart, toMs } from './connection.ts';
import { parseStored, storedNumber } from './stored.ts';

/** What the counter scripts answer: { count, resetAt }, or nil (no live window) from gpReadCounter. */
const counterReply = z.tuple([z.int(), z.number()]);
/** What gpIncrementCountersWithin answers: count, resetAt, … for each counter it incremented. */
const countersReply = z.array(z.number()).min(2).refine((values) => values.length % 2 === 0, 'pairs of count and resetAt');
/** What gpClaimSlot answers: { 1 if claimed else 0, held until }. */
const claimReply = z.tuple([z.union([z.literal(0), z.literal(1)]), z.number()]);

// Counter and slot keys hold addresses ("codes:ada@example.com"), so errors name the kind, not the key.
export class RedisCounters extends RedisPart implements CounterStore {
  async incrementCounter(key: string, windowSeconds: number, now: number, by = 1): Promise<CounterState> {
    const reply = await this.redis.script('gpIncrementCounter', this.keys.counter(key), by, toMs(windowSeconds), Math.floor(now));
    const [count, resetAt] = parseStored(counterReply, reply, 'counter');
    return { count, resetAt };
  }

  async incrementCountersWithin(counters: readonly { key: string; windowSeconds: number; limit: number }[], now: number): Promise<CounterState[]> {
    if (this.redis.cluster) {
      // The counters live in different slots: one script per counter, in order.
      const states: CounterState[] = [];
      for (const { key, windowSeconds, limit } of counters) {
        const state = await this.incrementCounter(key, windowSeconds, now);
        states.push(state);
        if (state.count > limit) break;
      }
      return states;
    }
    if (counters.length === 0) return [];
    const reply = await this.redis.script(
      'gpIncrementCountersWithin',
      counters.length,
      ...counters.map(({ key }) => this.keys.counter(key)),
      Math.floor(now),
      ...counters.flatMap(({ windowSeconds, limit }) => [toMs(windowSeconds), limit]),
    );
    const flat = parseStored(countersReply, reply, 'counter');
    const states: CounterState[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) states.push({ count: flat[index]!, resetAt: flat[index + 1]! });
    return states;
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
