// The DNS providers of the program, behind one interface (types.ts), chosen by name (factory.ts).
export { dnsProvider } from './factory.js';
export type { DnsCredentials, DnsNode, DnsOutputs, DnsProvider, GlobalDnsArgs, RegionDnsArgs, RegionReader } from './types.js';
export { powerDnsRecordsProvider, type PowerDnsRecordsState } from './powerdns-rrsets.js';
export { answerRecordContent, regionRecordContent, regionRecordName, regionRecordSuffix } from './powerdns-lua.js';
