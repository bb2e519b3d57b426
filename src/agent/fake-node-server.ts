// A small real HTTP server that speaks the node API the way the xplane
// server does (contract §5), for the agent's tests: real sockets, real
// fetch, scripted failures. It is not the real server; the lead's end-to-end
// test covers that.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake server received. */
export interface ReceivedRequest {
  path: string;
  token: string | undefined;
  body: Record<string, unknown>;
  at: number;
}

/** A scripted answer that replaces the normal one for the next matching requests. */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface FakeNode {
  name: string;
  token: string;
  state: string;
  beats: number;
}

/** Options for FakeNodeServer. */
export interface FakeNodeServerOptions {
  bootstrapToken?: string;
  heartbeatIntervalMs?: number;
  /** Heartbeats after which a warm node turns active (default 2). */
  rise?: number;
}

/** The fake node API; see the file comment. */
export class FakeNodeServer {
  /** Every request, in order. */
  readonly requests: ReceivedRequest[] = [];
  private readonly nodes = new Map<string, FakeNode>();
  private readonly scripts = new Map<string, ScriptedAnswer[]>();
  private readonly server: Server;
  private counter = 0;
  private readonly bootstrapToken: string;
  private readonly heartbeatIntervalMs: number;
  private readonly rise: number;

  constructor(options: FakeNodeServerOptions = {}) {
    this.bootstrapToken = options.bootstrapToken ?? 'boot-secret';
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 50;
    this.rise = options.rise ?? 2;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Listens on 127.0.0.1 at a free port; returns the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Closes the server and its connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Answers the next `times` requests to `path` with `answer` instead of the normal answer. */
  script(path: string, answer: ScriptedAnswer, times = 1): void {
    const queue = this.scripts.get(path) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(answer);
    this.scripts.set(path, queue);
  }

  /** Forgets a node, as a server that lost its store would; its next heartbeat gets 404. */
  forget(name: string): void {
    this.nodes.delete(name);
  }

  /** Requests received on one path. */
  received(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      // Left empty: the route answers 400 for missing fields.
    }
    const path = req.url ?? '/';
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    this.requests.push({ path, token, body, at: Date.now() });
    const answer = this.answer(req.method, path, token, body);
    send(res, answer.status, answer.body, answer.headers);
  }

  /** What to answer, as a value; handle() only records the request and sends this. */
  private answer(method: string | undefined, path: string, token: string | undefined, body: Record<string, unknown>): ScriptedAnswer {
    const scripted = this.scripts.get(path)?.shift();
    if (scripted) return { ...scripted, body: scripted.body ?? errorBody('XP_ERR_SCRIPTED', `scripted ${scripted.status}`) };
    if (method !== 'POST') return { status: 405, body: errorBody('XP_ERR_METHOD', 'POST only') };

    switch (path) {
      case '/v1/nodes/register': {
        if (token !== this.bootstrapToken) return { status: 401, body: errorBody('XP_ERR_AUTH', 'bad bootstrap token') };
        if (typeof body.service !== 'string' || typeof body.region !== 'string' || typeof body.address !== 'string') {
          return { status: 400, body: errorBody('XP_ERR_BAD_INPUT', 'service, region and address are required', 'service') };
        }
        this.counter += 1;
        const name = typeof body.name === 'string' ? body.name : `${body.region}-${body.service}-${this.counter}`;
        const node: FakeNode = { name, token: `node-token-${this.counter}`, state: 'warm', beats: 0 };
        this.nodes.set(name, node);
        return { status: 201, body: { name, token: node.token, heartbeatInterval: this.heartbeatIntervalMs } };
      }
      case '/v1/nodes/heartbeat':
      case '/v1/nodes/drain': {
        const node = typeof body.name === 'string' ? this.nodes.get(body.name) : undefined;
        if (!node) return { status: 404, body: errorBody('XP_ERR_NOT_FOUND', `unknown node ${String(body.name)}`, 'name') };
        if (token !== node.token) return { status: 401, body: errorBody('XP_ERR_AUTH', 'bad node token') };
        if (path === '/v1/nodes/drain') {
          node.state = 'drain';
        } else {
          node.beats += 1;
          if (node.state === 'warm' && node.beats >= this.rise) node.state = 'active';
        }
        return { status: 200, body: { state: node.state } };
      }
      default:
        return { status: 404, body: errorBody('XP_ERR_NOT_FOUND', 'no such route') };
    }
  }
}

function errorBody(code: string, message: string, field?: string): unknown {
  return { error: { code, message, ...(field ? { field } : {}) } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}
