/**
 * What this instance has seen of the mail transport, for the code page and `/readyz`.
 *
 * Only what concerns every mail counts here (the relay unreachable, refusing our credentials or
 * sender): a refusal of one recipient's address says something about that address, and the code
 * page must say the same for every address, whether or not a code was sent to it (SPEC §2).
 * It also keeps the time recent mails took to leave, so a withheld code's pretended delivery can
 * take as long as a real one.
 */
import { randomInt } from 'node:crypto';

import type { MailFailureScope } from './transport.ts';

/** `ok`: the last mail left (or none was tried); `degraded`: it fails for now, retried; `down`: refused for good. */
export type TransportState = 'ok' | 'degraded' | 'down';

export interface TransportStatus {
  state: TransportState;
  /** Since when mail has been failing (epoch ms), while it is. */
  failingSince?: number | undefined;
  lastError?: string | undefined;
}

const latencySamples = 64;

export class TransportHealth {
  #state: TransportState = 'ok';
  #failingSince: number | undefined;
  #lastError: string | undefined;
  readonly #latenciesMs: number[] = [];
  #next = 0;

  succeeded(latencyMs: number | undefined): void {
    this.#state = 'ok';
    this.#failingSince = undefined;
    this.#lastError = undefined;
    if (latencyMs === undefined) return;
    this.#latenciesMs[this.#next] = Math.max(0, latencyMs);
    this.#next = (this.#next + 1) % latencySamples;
  }

  failed(scope: MailFailureScope, permanent: boolean, error: string, now: number): void {
    if (scope === 'recipient') return;
    this.#state = permanent ? 'down' : 'degraded';
    this.#failingSince ??= now;
    this.#lastError = error;
  }

  status(): TransportStatus {
    return { state: this.#state, failingSince: this.#failingSince, lastError: this.#lastError };
  }

  /** One of the recent first-attempt delivery times, drawn at random (0 before any mail left). */
  sampleLatencyMs(): number {
    const count = this.#latenciesMs.length;
    return count === 0 ? 0 : this.#latenciesMs[randomInt(count)]!;
  }
}
