// The LocalDnsRecords dynamic provider's implementation: one record file per
// (domain, region), `<stateDir>/dns/<domain>/<region>.json`, which xplane's
// embedded DNS server (src/dns/) reads and answers from.
//
// Plain CommonJS for the reason node-provider.cjs gives. The file format and
// the atomic write belong to the DNS server (src/dns/record-file.ts, written
// in TypeScript); this loads that module through tsx, as bin/xplane.js does,
// so there is one writer and one definition of the format.
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const { pathToFileURL } = require('node:url');

let recordFiles;

/** src/dns/record-file.ts of the xplane checkout holding this file. */
function loadRecordFiles() {
  recordFiles ??= (async () => {
    const { register } = await import('tsx/esm/api');
    register();
    return import(pathToFileURL(path.join(__dirname, '..', '..', 'src', 'dns', 'record-file.ts')).href);
  })();
  return recordFiles;
}

function dnsDir(stateDir) {
  return path.join(stateDir, 'dns');
}

/** The file's content from the resource's inputs. */
function fileOf(inputs) {
  return {
    domain: inputs.domain,
    region: inputs.region,
    ttl: inputs.ttl,
    ...(inputs.zone === undefined ? {} : { zone: inputs.zone }),
    records: inputs.records.map((r) => ({ node: r.node, ip: r.ip, weight: r.weight })),
  };
}

async function write(inputs) {
  const { writeRecordFile } = await loadRecordFiles();
  // The serial goes into the file but not into fileOf, which diff compares (see LocalDnsRecordsArgs.serial).
  const serial = Number.isInteger(inputs.serial) ? { serial: inputs.serial } : {};
  const file = await writeRecordFile(dnsDir(inputs.stateDir), { ...fileOf(inputs), ...serial });
  return { ...inputs, path: file };
}

async function create(inputs) {
  const outs = await write(inputs);
  return { id: `${inputs.domain}/${inputs.region}`, outs };
}

async function read(id, props) {
  let file;
  try {
    file = JSON.parse(fs.readFileSync(props.path, 'utf8'));
  } catch {
    // Gone or unreadable: the next `up` writes it again.
    return {};
  }
  // Hand edits show up as drift and are written over on the next `up`.
  return { id, props: { ...props, ttl: file.ttl, records: Array.isArray(file.records) ? file.records : [] } };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function diff(id, olds, news) {
  // Another file: write the new one, then remove the old one (create before delete keeps the name answered).
  const replaces = ['stateDir', 'domain', 'region'].filter((key) => olds[key] !== news[key]);
  const changed = replaces.length > 0 || !same(fileOf(olds), fileOf(news)) || olds.implementation !== news.implementation;
  return { changes: changed, replaces };
}

async function update(id, olds, news) {
  return { outs: await write(news) };
}

async function remove(id, props) {
  const { removeRecordFile } = await loadRecordFiles();
  await removeRecordFile(dnsDir(props.stateDir), props.domain, props.region);
  // The domain's folder goes with its last region, so a removed service leaves nothing behind.
  try {
    fs.rmdirSync(path.dirname(props.path));
  } catch {
    // Not empty (other regions) or already gone.
  }
}

module.exports = { create, read, diff, update, delete: remove };
