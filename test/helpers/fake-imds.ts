// A fake EC2 instance metadata service that speaks IMDSv2 the way an instance
// launched with `httpTokens: required` (program/components/aws-node-pool.ts)
// sees it: a session token from PUT /latest/api/token first, then every GET
// carries it, or gets 401. Answers only the meta-data keys it is given; every
// other path is a 404, as on EC2 for an attribute the instance does not have.
// It records each request, so a test can say what the node asked for.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** Where the service listens and what it answers. */
export interface FakeImdsOptions {
  /** Default 169.254.169.254, the address EC2 uses (it must be on an interface, e.g. `lo`). */
  host?: string;
  /** Default 80. */
  port?: number;
  /** meta-data keys and their values, e.g. `{ 'public-ipv4': '127.10.0.2' }`. */
  metadata: Readonly<Record<string, string>>;
}

/** One request the service answered. */
export interface ImdsRequest {
  method: string;
  path: string;
  status: number;
}

/** A running fake metadata service. */
export interface FakeImds {
  /** e.g. http://169.254.169.254:80 */
  url: string;
  requests: ImdsRequest[];
  close(): Promise<void>;
}

const TOKEN_PATH = '/latest/api/token';
const META_PREFIX = '/latest/meta-data/';
// EC2 accepts TTLs of 1 s to 6 h and refuses a token request without one.
const MAX_TTL_SECONDS = 21_600;

/** Starts the service; resolves once it listens. */
export async function startFakeImds(options: FakeImdsOptions): Promise<FakeImds> {
  const host = options.host ?? '169.254.169.254';
  const port = options.port ?? 80;
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const requests: ImdsRequest[] = [];

  // The status and body of one request (a token request stores the token it issues).
  const decide = (req: IncomingMessage, path: string): { status: number; body?: string } => {
    if (path === TOKEN_PATH) {
      if (req.method !== 'PUT') return { status: 405 };
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) return { status: 400 };
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + ttl * 1000);
      return { status: 200, body: token };
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405 };
    const token = req.headers['x-aws-ec2-metadata-token'];
    const expiry = typeof token === 'string' ? tokens.get(token) : undefined;
    if (expiry === undefined || expiry < Date.now()) return { status: 401 };
    const value = path.startsWith(META_PREFIX) ? options.metadata[path.slice(META_PREFIX.length)] : undefined;
    return value === undefined ? { status: 404 } : { status: 200, body: value };
  };

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const { status, body = '' } = decide(req, path);
    requests.push({ method: req.method ?? '', path, status });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  };

  const server = createServer((req, res) => {
    // The body of a request is never needed; drain it so the socket can be reused.
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://${host}:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
