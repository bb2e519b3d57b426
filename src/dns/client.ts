// A minimal resolver client for tests and the demo: one query over UDP or TCP
// to a given server, with a timeout, so nothing needs `dig` installed.
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { CLASS_IN, RRType, decodeMessage, encodeMessage, splitName, type DnsMessage } from './wire.js';

/** Where and how to send a query. */
export interface QueryOptions {
  host?: string;
  port: number;
  transport?: 'udp' | 'tcp';
  /** Default 2000 ms. */
  timeoutMs?: number;
}

/** The bytes of a standard query for (name, type) with id `id`. */
export function encodeQuery(name: string, type: number = RRType.A, id = 1): Uint8Array {
  return encodeMessage({
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 },
    questions: [{ labels: splitName(name), type, class: CLASS_IN }],
    answers: [],
    authority: [],
    additional: [],
  });
}

/** Sends one query and decodes the reply; rejects on timeout or an undecodable reply. */
export async function queryDns(name: string, type: number, opts: QueryOptions): Promise<DnsMessage> {
  const id = Math.floor(Math.random() * 0x10000);
  const packet = encodeQuery(name, type, id);
  const bytes = await (opts.transport === 'tcp' ? exchangeTcp(packet, opts) : exchangeUdp(packet, opts));
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) throw new Error(`undecodable DNS reply: ${decoded.error}`);
  if (decoded.message.header.id !== id) throw new Error('DNS reply id does not match the query');
  return decoded.message;
}

/** Sends raw bytes over UDP and resolves with the first datagram back. */
export function exchangeUdp(packet: Uint8Array, opts: QueryOptions): Promise<Uint8Array> {
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new Error(`no UDP reply from ${host}:${opts.port}`)), opts.timeoutMs ?? 2000);
    let done = false;
    const finish = (outcome: Error | Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    socket.once('error', (err) => finish(err));
    socket.once('message', (msg) => finish(msg));
    socket.send(packet, opts.port, host);
  });
}

/** Sends length-prefixed messages over one TCP connection and resolves with the replies, in order. */
export function exchangeTcp(packet: Uint8Array, opts: QueryOptions): Promise<Uint8Array>;
export function exchangeTcp(packets: Uint8Array[], opts: QueryOptions): Promise<Uint8Array[]>;
export function exchangeTcp(input: Uint8Array | Uint8Array[], opts: QueryOptions): Promise<Uint8Array | Uint8Array[]> {
  const packets = Array.isArray(input) ? input : [input];
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: opts.port });
    const replies: Uint8Array[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no TCP reply from ${host}:${opts.port}`)), opts.timeoutMs ?? 2000);
    let done = false;
    const finish = (err: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(Array.isArray(input) ? replies : (replies[0] ?? new Uint8Array()));
    };
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('TCP connection closed before all replies')));
    socket.on('connect', () => {
      // One write for all queries, so the server must split a stream holding several.
      socket.write(Buffer.concat(packets.map((p) => Buffer.concat([u16(p.length), p]))));
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0);
        replies.push(pending.subarray(2, 2 + length));
        pending = pending.subarray(2 + length);
      }
      if (replies.length >= packets.length) finish(undefined);
    });
  });
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}
