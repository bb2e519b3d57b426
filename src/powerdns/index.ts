// A local PowerDNS Authoritative Server (pdns_server) for the playground and the tests.
export { findPowerDns, startPowerDns, SQLITE_SCHEMA, type PowerDnsInstall, type PowerDnsServer, type PowerDnsServerOptions } from './server.js';
