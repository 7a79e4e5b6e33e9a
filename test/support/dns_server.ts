/**
 * A small authoritative DNS server over UDP on loopback, answering MX queries from a table, so
 * MX-based tenant discovery (Google Workspace) is tested over the real protocol with Node's own
 * resolver pointed at it. A name not in the table is NXDOMAIN; any other query type for a known
 * name is an empty answer; `silent` makes it drop queries, as a resolver that is down would.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';

export interface RunningDnsServer {
  /** `127.0.0.1:<port>`, for `tenants.dnsServers`. */
  address: string;
  /** MX hosts by domain. */
  mx: Map<string, string[]>;
  /** Queries received, by name. */
  queries: Map<string, number>;
  silent: boolean;
  stop(): Promise<void>;
}

const mxType = 15;

export async function startDnsServer(mx: Record<string, string[]> = {}): Promise<RunningDnsServer> {
  const socket = createSocket('udp4');
  const server: RunningDnsServer = {
    address: '',
    mx: new Map(Object.entries(mx)),
    queries: new Map(),
    silent: false,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (query: Buffer, peer: RemoteInfo) => {
    const question = parseQuestion(query);
    if (!question) return;
    server.queries.set(question.name, (server.queries.get(question.name) ?? 0) + 1);
    if (server.silent) return;
    const exchanges = server.mx.get(question.name);
    const answers = exchanges && question.type === mxType ? exchanges : [];
    socket.send(answer(query, question.end, exchanges ? 0 : 3, answers), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  server.address = `127.0.0.1:${socket.address().port}`;
  return server;
}

function parseQuestion(query: Buffer): { name: string; type: number; end: number } | undefined {
  if (query.length < 17 || query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii').toLowerCase());
    offset += 1 + length;
  }
  if (offset + 5 > query.length) return undefined;
  return { name: labels.join('.'), type: query.readUInt16BE(offset + 1), end: offset + 5 };
}

/** The response: the query's header and question, then one MX record per exchange. */
function answer(query: Buffer, questionEnd: number, rcode: number, exchanges: string[]): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  // QR, AA, RD (echoed), RA, and the response code.
  header.writeUInt16BE(0x8480 | (query.readUInt16BE(2) & 0x0100) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(exchanges.length, 6);
  const records = exchanges.map((exchange, index) => {
    const name = Buffer.concat([...exchange.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])), Buffer.from([0])]);
    const record = Buffer.alloc(12 + 2 + name.length);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(mxType, 2);
    record.writeUInt16BE(1, 4); // class IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(2 + name.length, 10);
    record.writeUInt16BE(10 * (index + 1), 12);
    name.copy(record, 14);
    return record;
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
}
