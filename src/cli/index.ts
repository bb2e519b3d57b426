// The command line's public face: the dispatcher (bin/xplane.js runs it from dist/).
export { main } from './main.js';
