/** Counters and slots in Redis: a hash {count, resetAt} per counter and a string (held until, ms) per slot, each changed by one script. */
import { z } from 'zod';

import type { CounterState, CounterStore, LimitsOutcome, RequestLimits } from '../store/counters.ts';
import { RedisPart, toMs } from './connection.ts';
import { parseStored, storedNumber } from './stored.ts';

/** What the counter scripts answer: { count, resetAt }, or nil (no live window) from gpReadCounter. */
const counterReply = z.tuple([z.int(), z.number()]);
/** What gpIncrementCountersWithin answers: count, resetAt, … for each counter it incremented. */
const countersReply = z.array(z.number()).min(2).refine((values) => values.length % 2 === 0, 'pairs of count and resetAt');
/** What gpPassLimits answers: 0 and the held slot's end, 1 and the claimed slot's end, or 2 and count, resetAt, … */
const limitsReply = z.union([z.tuple([z.literal(0), z.number()]), z.tuple([z.literal(1), z.number()]), z.tuple([z.literal(2)], z.number())]);
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
    return pairsToStates(parseStored(countersReply, reply, 'counter'));
  }

  async passLimits(limits: RequestLimits, now: number): Promise<LimitsOutcome> {
    if (this.redis.cluster) {
      // Three slots at least: the calls one after another, each refusal ending it as in the script.
      const heldUntil = await this.peekSlot(limits.refusedWhileHeld, now);
      if (heldUntil !== undefined) return { kind: 'held', until: heldUntil };
      const claim = await this.claimSlot(limits.claims.key, limits.claims.ttlSeconds, now);
      if (!claim.claimed) return { kind: 'cooling', availableAt: claim.availableAt };
      return { kind: 'counted', states: await this.incrementCountersWithin(limits.counters, now) };
    }
    const { counters } = limits;
    const reply = await this.redis.script(
      'gpPassLimits',
      2 + counters.length,
      this.keys.slot(limits.refusedWhileHeld),
      this.keys.slot(limits.claims.key),
      ...counters.map(({ key }) => this.keys.counter(key)),
      Math.floor(now),
      toMs(limits.claims.ttlSeconds),
      ...counters.flatMap(({ windowSeconds, limit }) => [toMs(windowSeconds), limit]),
    );
    const [kind, ...values] = parseStored(limitsReply, reply, 'limits');
    if (kind === 0) return { kind: 'held', until: values[0]! };
    if (kind === 1) return { kind: 'cooling', availableAt: values[0]! };
    return { kind: 'counted', states: pairsToStates(values) };
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

/** count, resetAt, count, resetAt, … as states. */
function pairsToStates(flat: readonly number[]): CounterState[] {
  const states: CounterState[] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) states.push({ count: flat[index]!, resetAt: flat[index + 1]! });
  return states;
}
