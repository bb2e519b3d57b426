// One HTTP/1.1 exchange over a bare TCP socket, for what fetch() hides: the
// interim `100 Continue`, whether the body went out before the answer, and
// whether the server closed the connection after it.
import { connect } from 'node:net';

/** What the server sent, in order. */
export interface RawExchange {
  /** Every status line, interim (1xx) ones included, in the order they arrived. */
  statusLines: string[];
  /** The final answer's status. */
  status: number;
  /** The final answer's headers, names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** True when the body was written, which happens only after a `100 Continue`. */
  bodySent: boolean;
  /** True when the server closed the connection after the answer. */
  closed: boolean;
}

/**
 * Sends `head` (request line and headers, ending in a blank line) to 127.0.0.1:`port`; `body`, if
 * any, goes only once the server says `100 Continue`, as a client that sent `Expect: 100-continue`
 * and waits does. Resolves when the final answer is whole and the server closed or 200 ms passed.
 */
export function rawExchange(port: number, head: string, body?: string, timeoutMs = 5_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    const statusLines: string[] = [];
    let buffer = '';
    let bodySent = false;
    let final: Omit<RawExchange, 'statusLines' | 'bodySent' | 'closed'> | undefined;
    let settle: NodeJS.Timeout | undefined;
    const fail = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no whole answer in ${timeoutMs} ms; got ${JSON.stringify(statusLines)} and ${JSON.stringify(buffer.slice(0, 300))}`));
    }, timeoutMs);
    const done = (closed: boolean): void => {
      clearTimeout(fail);
      clearTimeout(settle);
      socket.destroy();
      if (final) resolve({ ...final, statusLines, bodySent, closed });
      else reject(new Error(`closed before an answer; got ${JSON.stringify(statusLines)} and ${JSON.stringify(buffer.slice(0, 300))}`));
    };
    const parse = (): void => {
      while (!final) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine = '', ...lines] = buffer.slice(0, end).split('\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
        const headers = Object.fromEntries(
          lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as const),
        );
        const length = Number(headers['content-length'] ?? 0);
        if (status >= 100 && status < 200) {
          statusLines.push(statusLine);
          buffer = buffer.slice(end + 4);
          if (status === 100 && body !== undefined && !bodySent) {
            bodySent = true;
            socket.write(body);
          }
          continue;
        }
        if (Buffer.byteLength(buffer.slice(end + 4)) < length) return;
        statusLines.push(statusLine);
        final = { status, headers, body: buffer.slice(end + 4, end + 4 + length) };
        // Give the server a moment to close, so `closed` says whether it meant to.
        settle = setTimeout(() => done(false), 200);
      }
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      parse();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(true));
  });
}
