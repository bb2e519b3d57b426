// Public face of the embedded DNS (the `local` provider's data plane): the
// record files the local target writes, the store that reads them, the pure
// answer, and the UDP/TCP server.
export { normalizeName, parseRecordFile, recordFilePath, removeRecordFile, writeRecordFile, type RecordEntry, type RecordFile } from './record-file.js';
export { DEFAULT_RELOAD_INTERVAL_MS, RecordStore, type RecordSource, type RecordStoreOptions } from './record-store.js';
export { buildTable, findZone, type DnsTable, type NameRecord, type NameServer, type TableOptions } from './table.js';
export { answerQuery, chooseRecord, respond, type AnswerContext, type Reply } from './answer.js';
export { readEdns, replyOpt, SERVER_UDP_SIZE, type Edns } from './edns.js';
export { DEFAULT_DNS_ADDRESS, DnsServer, parseListenAddress, type DnsServerOptions } from './server.js';
export { encodeQuery, exchangeTcp, exchangeUdp, queryDns, type QueryOptions } from './client.js';
export {
  CLASS_IN,
  Rcode,
  rcodeName,
  RRType,
  decodeMessage,
  encodeMessage,
  type DnsHeader,
  type DnsMessage,
  type DnsQuestion,
  type ResourceRecord,
} from './wire.js';
