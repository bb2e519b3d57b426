// The agent's own HTTP listener: /healthz for the server's active probes,
// and optionally a service behind it (the playground's simulated load).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAddress, type HostPort } from './address.js';

/** Serves every request that is not /healthz; `node` is the registered name, if any yet. */
export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse, node: string | undefined) => void;

/** A bound listener and how to close it. */
export interface NodeListener {
  /** The bound address as `ip:port` (the real port when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

/** Binds the listener; rejects when the address cannot be bound (e.g. EADDRINUSE). */
export async function listen(at: HostPort, handler: NodeRequestHandler | undefined, nodeName: () => string | undefined): Promise<NodeListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const ok = req.method === 'GET' || req.method === 'HEAD';
      res.writeHead(ok ? 200 : 405, { 'content-type': 'text/plain; charset=utf-8', ...(ok ? {} : { allow: 'GET, HEAD' }) });
      res.end(ok ? 'ok' : 'method not allowed');
      return;
    }
    if (handler) {
      handler(req, res, nodeName());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return { address: formatAddress({ host: at.host, port: bound.port }), close: () => closeServer(server) };
}

// close() alone waits for idle keep-alive connections (a prober's, say) to
// time out; closing them makes shutdown prompt.
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
