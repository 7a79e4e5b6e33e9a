/**
 * Tells this process of every settings save, by any instance sharing the Redis store, so that it
 * can keep the settings in memory (src/policy.ts) instead of reading them on every request.
 *
 * Every save is announced on a channel by the script that makes it (`gpPutSettings`), so no save
 * goes unannounced. This process listens on a connection of its own (a subscribed connection can
 * send nothing else); each message moves `generation` on, which drops what was read before it.
 * It is `live` only from the moment its SUBSCRIBE is confirmed until the connection is lost: a
 * message published meanwhile cannot reach it, so the loss moves `generation` on too and, until
 * it has subscribed again, readers read the store (and fail, closed, while Redis is down). A PING
 * every 15 s finds a connection that died without closing.
 *
 * One server, Sentinel (the connection follows the master) and Cluster (any node: PUBLISH reaches
 * every node) alike.
 */
import type { Redis } from 'ioredis';

import type { SettingsWatch } from '../store/settings.ts';
import { reconnectDelayMs, type RedisConnection } from './connection.ts';

/** How often a live subscription is checked with a PING. */
const heartbeatMs = 15_000;

export class RedisSettingsWatch implements SettingsWatch {
  readonly #redis: RedisConnection;
  readonly #channel: string;
  readonly #heartbeat: NodeJS.Timeout;
  #subscriber: Redis | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #failures = 0;
  /** A refused SUBSCRIBE was reported since the last subscription that held: told once, not at every retry. */
  #refusalReported = false;
  #live = false;
  #generation = 0;
  #closed = false;

  constructor(redis: RedisConnection, channel: string) {
    this.#redis = redis;
    this.#channel = channel;
    this.#heartbeat = setInterval(() => this.#checkAlive(), heartbeatMs);
    this.#heartbeat.unref();
    this.#subscribe();
  }

  get live(): boolean {
    return this.#live;
  }

  get generation(): number {
    return this.#generation;
  }

  /** A save through this process (made, refused or of unknown outcome): what was read before it is not trusted, without waiting for the message. */
  saved(): void {
    this.#generation += 1;
  }

  close(): void {
    this.#closed = true;
    this.#lost();
    clearInterval(this.#heartbeat);
    clearTimeout(this.#reconnect);
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }

  #subscribe(): void {
    const subscriber = this.#redis.openSubscriber();
    this.#subscriber = subscriber;
    const current = () => this.#subscriber === subscriber && !this.#closed;
    // A connection error ends this connection ('end' below); the store's own connection reports errors.
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string) => {
      if (channel === this.#channel && current()) this.#generation += 1;
    });
    subscriber.once('ready', () => {
      subscriber.subscribe(this.#channel).then(
        () => {
          if (!current()) return;
          this.#failures = 0;
          this.#refusalReported = false;
          this.#generation += 1;
          this.#live = true;
        },
        (error: unknown) => {
          // Redis answered and refused (an ACL without the channel): every settings save is then
          // refused too, so the operator must hear of it, once until it works.
          if (current() && !this.#refusalReported && error instanceof Error && /^NOPERM/.test(error.message)) {
            this.#refusalReported = true;
            this.#redis.reportError(new Error(`cannot subscribe to ${this.#channel}: ${error.message}; settings saves are refused until the Redis user may use this channel (ACL &${this.#channel})`));
          }
          subscriber.disconnect();
        },
      );
    });
    subscriber.once('close', () => {
      if (current()) this.#lost();
    });
    subscriber.once('end', () => {
      if (!current()) return;
      this.#lost();
      this.#reconnect = setTimeout(() => {
        if (!this.#closed) this.#subscribe();
      }, reconnectDelayMs(this.#failures++));
      this.#reconnect.unref();
    });
  }

  #lost(): void {
    this.#live = false;
    this.#generation += 1;
  }

  #checkAlive(): void {
    const subscriber = this.#subscriber;
    if (!this.#live || !subscriber) return;
    subscriber.ping().catch(() => {
      if (this.#subscriber !== subscriber) return;
      this.#lost();
      subscriber.disconnect();
    });
  }
}
