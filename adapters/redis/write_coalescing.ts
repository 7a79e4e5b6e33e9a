/**
 * Commands issued in one pass of the event loop leave in one socket write.
 *
 * ioredis writes every command to its socket as it is issued: one system call each, the largest
 * single entry of a server's profile under load (`writeUtf8String`). With many requests in
 * flight, the commands their continuations issue in the same pass could share a write. Corking
 * the socket at the first write and uncorking it in the loop's check phase (`setImmediate`) does
 * that: every I/O callback the poll phase ran meanwhile, each HTTP request it advanced, adds its
 * commands to the same write. The order of commands is kept, each still has its own reply and
 * timeout, and a pending immediate keeps the poll phase from blocking, so nothing waits longer
 * than the callbacks already due. Uncorking on the next tick instead gathered only one callback's
 * commands: most writes then carried a single command (bench/README.md, round 5). (ioredis's own
 * auto-pipelining batches the same way but builds a Pipeline per batch that costs more than the
 * writes it saves: bench/README.md.)
 */
import type { Cluster, Redis } from 'ioredis';
import type { Writable } from 'node:stream';

const coalescing = Symbol('guestpass.coalescing');

type CoalescedStream = Writable & { [coalescing]?: true };

/** Wraps the write of a connected client's socket; again on every reconnect (each has a new socket). */
function coalesceNode(client: Redis): void {
  client.on('connect', () => {
    const stream = (client as unknown as { stream?: CoalescedStream }).stream;
    if (!stream || stream[coalescing]) return;
    stream[coalescing] = true;
    const write = stream.write.bind(stream) as (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;
    let corked = false;
    const uncork = () => {
      corked = false;
      stream.uncork();
    };
    // Named arguments, not a rest array and a spread: this runs for every command (bench/README.md, round 8).
    (stream as unknown as { write: typeof write }).write = (chunk, encoding, callback) => {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(uncork);
      }
      return write(chunk, encoding, callback);
    };
  });
}

/** For a single server or Sentinel's master connection, and for every node of a Cluster as it joins. */
export function coalesceWrites<T extends Redis | Cluster>(client: T): T {
  if (client.isCluster) (client as Cluster).on('+node', (node: Redis) => coalesceNode(node));
  else coalesceNode(client as Redis);
  return client;
}
