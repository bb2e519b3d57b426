// The socket layer of the embedded DNS: UDP and TCP on one port, each packet
// handed to the pure `respond`. TCP follows RFC 7766: a 2-octet length before
// every message, several queries per connection answered in order, and an
// idle timeout so a silent client cannot hold a connection forever.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from '../log/index.js';
import { respond, servfail, type Reply } from './answer.js';
import type { RecordSource } from './record-store.js';
import { rcodeName } from './wire.js';

/** Options of a DnsServer. */
export interface DnsServerOptions {
  /** Where the records come from (a RecordStore). */
  records: RecordSource;
  /** True when the registry marks the node `down`. */
  isDown: (node: string) => boolean;
  log: Logger;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
  /** A TCP connection with no complete query for this long is closed; default 10 s (RFC 7766 suggests seconds). */
  tcpIdleMs?: number;
  /** Most TCP connections open at once; default 256. */
  maxTcpConnections?: number;
  /** Called with the rcode name (`NOERROR`, `NXDOMAIN`, ...) of every reply sent, for metrics. */
  onReply?: (rcode: string) => void;
}

/** Address used when none is given. */
export const DEFAULT_DNS_ADDRESS = '127.0.0.1:5353';

const TCP_MAX_MESSAGE = 0xffff;
const BIND_ATTEMPTS = 5;

/** The embedded authoritative DNS server of the `local` provider. */
export class DnsServer {
  private readonly opts: DnsServerOptions;
  private readonly random: () => number;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Set<Socket>();

  constructor(opts: DnsServerOptions) {
    this.opts = opts;
    this.random = opts.random ?? Math.random;
  }

  /** Binds UDP and TCP to `address` (host:port or [v6]:port; port 0 picks one free for both); returns the ports. */
  async listen(address: string = DEFAULT_DNS_ADDRESS): Promise<{ udp: number; tcp: number }> {
    if (this.udp !== undefined) throw new Error('DNS server is already listening');
    const { host, port } = parseListenAddress(address);
    // With port 0 the UDP port is picked first and TCP asked for the same
    // number, which another process may hold: pick again, a few times.
    for (let attempt = 1; ; attempt++) {
      const udp = await this.bindUdp(host, port);
      const udpPort = udp.address().port;
      try {
        const tcp = await this.bindTcp(host, udpPort);
        this.udp = udp;
        this.tcp = tcp;
        this.opts.log.info({ address: `${host.includes(':') ? `[${host}]` : host}:${udpPort}` }, 'dns server listening (udp+tcp)');
        return { udp: udpPort, tcp: udpPort };
      } catch (err) {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        if (port !== 0 || attempt >= BIND_ATTEMPTS) throw err;
      }
    }
  }

  /** Stops both listeners and drops open TCP connections. */
  async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    await Promise.all([
      udp === undefined ? undefined : new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp === undefined ? undefined : new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  /** Response bytes for one query; never throws, so one bad packet cannot take the server down. */
  private handle(packet: Uint8Array, transport: 'udp' | 'tcp'): Uint8Array | undefined {
    const reply = this.answer(packet, transport);
    if (reply !== undefined) this.opts.onReply?.(rcodeName(reply.rcode));
    return reply?.bytes;
  }

  private answer(packet: Uint8Array, transport: 'udp' | 'tcp'): Reply | undefined {
    try {
      return respond(
        packet,
        { table: this.opts.records.table(), isDown: this.opts.isDown, random: this.random },
        transport === 'udp' ? 'udp' : TCP_MAX_MESSAGE,
      );
    } catch (err) {
      this.opts.log.error({ err, transport }, 'dns query failed');
      try {
        return servfail(packet);
      } catch {
        return undefined;
      }
    }
  }

  private bindUdp(host: string, port: number): Promise<UdpSocket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.opts.log.warn({ err }, 'dns udp socket error'));
        socket.on('message', (msg, rinfo) => {
          const reply = this.handle(msg, 'udp');
          if (reply !== undefined) socket.send(reply, rinfo.port, rinfo.address);
        });
        resolve(socket);
      });
    });
  }

  private bindTcp(host: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.serveConnection(socket));
      server.maxConnections = this.opts.maxTcpConnections ?? 256;
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.log.warn({ err }, 'dns tcp server error'));
        resolve(server);
      });
    });
  }

  private serveConnection(socket: Socket): void {
    this.connections.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.tcpIdleMs ?? 10_000, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    // Only the unparsed tail is kept; a length prefix caps a message at
    // 65535 octets, so this stays under one message plus one read chunk.
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = this.handle(message, 'tcp');
        if (reply === undefined) {
          // Not even a header: the stream cannot be trusted to be in sync.
          socket.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        framed.set(reply, 2);
        // A client that sends without reading gets no more reads until it drains.
        if (!socket.write(framed)) {
          socket.pause();
          socket.once('drain', () => socket.resume());
        }
      }
    });
  }
}

/** Splits `host:port` or `[v6]:port`; port 0 is allowed (pick a free one). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (match === null || host === undefined || !(port >= 0 && port <= 65535)) {
    throw new Error(`DNS listen address must be host:port or [v6]:port, got "${address}"`);
  }
  return { host, port };
}
