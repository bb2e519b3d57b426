// The PowerDnsRecords dynamic provider, as Pulumi's plugin process loads it
// (components/delegating-provider.ts says why it is a plain CommonJS file).
// The work is TypeScript (powerdns-rrsets.ts, over powerdns-api.ts), loaded
// through tsx as the local target's dns-provider.cjs loads its writer.
'use strict';

const path = require('node:path');
const { pathToFileURL } = require('node:url');

let provider;

/** The provider methods of powerdns-rrsets.ts, loaded once per plugin process. */
function load() {
  provider ??= (async () => {
    const { register } = await import('tsx/esm/api');
    register();
    const mod = await import(pathToFileURL(path.join(__dirname, 'powerdns-rrsets.ts')).href);
    return mod.powerDnsRecordsProvider();
  })();
  return provider;
}

module.exports = {
  create: async (inputs) => (await load()).create(inputs),
  read: async (id, props) => (await load()).read(id, props),
  diff: async (id, olds, news) => (await load()).diff(id, olds, news),
  update: async (id, olds, news) => (await load()).update(id, olds, news),
  delete: async (id, props) => (await load()).delete(id, props),
};
