// Binds a built app to `host:port`.
import type { FastifyInstance } from 'fastify';
import { splitAddress } from '../nodes/index.js';

/** Listens on `address` (host:port, [v6]:port); returns the URL it is reachable at. */
export async function listen(app: FastifyInstance, address: string): Promise<string> {
  const { host, port } = splitAddress(address);
  if (port === null) throw new Error(`listen address must be host:port, got "${address}"`);
  await app.listen({ host, port });
  const bound = app.server.address();
  const actualPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
}
