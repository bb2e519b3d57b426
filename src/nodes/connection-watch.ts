// One idle TCP connection to a node's health port, held open between probes.
// When the node's process dies its kernel closes the connection (FIN, or RST),
// so the prober hears of it within milliseconds instead of at the next probe;
// it then probes at once. The closing is only a reason to look: whether the
// node is down is still decided by the probe and the rise/fall rules. A
// machine that vanishes sends nothing, and is found by the probes as before.
// A server that waits for its open connections on shutdown (Node's close()
// does not count one that never sent a request as idle) waits at most about
// an interval: its closed listener refuses the next probe, and the prober
// drops the connection.
import { connect } from 'node:net';
import { errorText } from '../errors.js';

/** An open watch; `close()` ends it without reporting a loss. */
export interface Watch {
  close(): void;
}

/**
 * Opens a watch on `host:port`. `onLost` is called once if an established
 * connection ends; a connection that never establishes (refused, or no answer
 * within `connectTimeoutMs`) ends silently, as the probes cover that node.
 */
export type OpenWatch = (host: string, port: number, connectTimeoutMs: number, onLost: (detail: string) => void) => Watch;

/** The real watch: a plain TCP connection that sends nothing. */
export const openTcpWatch: OpenWatch = (host, port, connectTimeoutMs, onLost) => {
  const socket = connect({ host, port });
  // The prober's owner keeps the process alive, not its watches.
  socket.unref();
  let established = false;
  let ended = false;
  const end = (detail: string): void => {
    if (ended) return;
    ended = true;
    socket.destroy();
    if (established) onLost(detail);
  };
  socket.setTimeout(connectTimeoutMs, () => {
    if (!established) end('connect timeout');
  });
  socket.once('connect', () => {
    established = true;
    socket.setTimeout(0);
  });
  // An HTTP server times an idle connection out (Node: 408 after headersTimeout, 60 s) and then
  // closes it; the words do not matter, the close that follows does.
  socket.on('data', () => {});
  socket.once('end', () => end('closed by the node'));
  socket.once('error', (err) => end(errorText(err)));
  socket.once('close', () => end('closed'));
  return {
    close: () => {
      ended = true;
      socket.destroy();
    },
  };
};
