// The LocalDnsRecords provider implementation on its own: the record file it
// writes is the one the embedded DNS server (src/dns/record-file.ts) reads.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type * as pulumi from '@pulumi/pulumi';
import { parseRecordFile } from '../../src/dns/index.js';
import { DNS_PROVIDER } from '../components/local-dns-records.js';

interface DnsState {
  implementation: string;
  stateDir: string;
  domain: string;
  zone?: string;
  region: string;
  ttl: number;
  records: { node: string; ip: string; weight: number }[];
  path?: string;
}

interface DnsProvider {
  create(inputs: DnsState): Promise<{ id: string; outs: DnsState & { path: string } }>;
  read(id: string, props: DnsState): Promise<pulumi.dynamic.ReadResult>;
  diff(id: string, olds: DnsState, news: DnsState): Promise<pulumi.dynamic.DiffResult>;
  update(id: string, olds: DnsState, news: DnsState): Promise<{ outs: DnsState & { path: string } }>;
  delete(id: string, props: DnsState): Promise<void>;
}

const provider = createRequire(import.meta.url)(DNS_PROVIDER) as DnsProvider;
const stateDir = mkdtempSync(join(tmpdir(), 'xplane-local-dns-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

const inputs: DnsState = {
  implementation: DNS_PROVIDER,
  stateDir,
  domain: 'api.svc.plus',
  zone: 'svc.plus',
  region: 'jp',
  ttl: 30,
  records: [{ node: 'jp-svc-plus-1', ip: '127.1.1.1', weight: 50 }],
};
const file = join(stateDir, 'dns', 'api.svc.plus', 'jp.json');

describe('the LocalDnsRecords provider', () => {
  let state: DnsState & { path: string };

  it("writes <stateDir>/dns/<domain>/<region>.json in the DNS server's format", async () => {
    const created = await provider.create(inputs);
    state = created.outs;
    assert.equal(created.id, 'api.svc.plus/jp');
    assert.equal(state.path, file);
    const content: unknown = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(content, {
      domain: 'api.svc.plus',
      region: 'jp',
      ttl: 30,
      zone: 'svc.plus',
      records: [{ node: 'jp-svc-plus-1', ip: '127.1.1.1', weight: 50 }],
    });
    assert.equal(parseRecordFile(content).ok, true);
  });

  it('rewrites the file when the records change, and only then', async () => {
    assert.deepEqual(await provider.diff(state.path, state, inputs), { changes: false, replaces: [] });
    const news = { ...inputs, records: [] };
    assert.deepEqual(await provider.diff(state.path, state, news), { changes: true, replaces: [] });
    state = (await provider.update(state.path, state, news)).outs;
    assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as DnsState).records, []);
    assert.deepEqual(readdirSync(join(stateDir, 'dns', 'api.svc.plus')), ['jp.json'], 'no temp file left behind');
  });

  it('writes the serial it is given, and a new serial alone does not rewrite the file', async () => {
    const withSerial = { ...inputs, records: [], serial: 1_780_000_000 };
    assert.deepEqual(await provider.diff(state.path, state, withSerial), { changes: false, replaces: [] });
    const changed = { ...withSerial, ttl: 60 };
    assert.deepEqual(await provider.diff(state.path, state, changed), { changes: true, replaces: [] });
    state = (await provider.update(state.path, state, changed)).outs;
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { serial?: number }).serial, 1_780_000_000);
  });

  it('replaces the resource when the file would move', async () => {
    assert.deepEqual((await provider.diff(state.path, state, { ...inputs, region: 'sg' })).replaces, ['region']);
    assert.deepEqual((await provider.diff(state.path, state, { ...inputs, domain: 'www.svc.plus' })).replaces, ['domain']);
  });

  it('reads the file back, and a missing file as gone', async () => {
    assert.deepEqual((await provider.read(state.path, state)).props, state);
    rmSync(file);
    assert.deepEqual(await provider.read(state.path, state), {});
  });

  it('removes the file and the domain folder on delete', async () => {
    state = (await provider.create(inputs)).outs;
    await provider.delete(state.path, state);
    assert.ok(!existsSync(file));
    assert.ok(!existsSync(join(stateDir, 'dns', 'api.svc.plus')));
    await provider.delete(state.path, state); // already gone is fine
  });

  it('refuses a record the DNS server would not load', async () => {
    await assert.rejects(
      provider.create({ ...inputs, records: [{ node: 'jp-svc-plus-1', ip: 'not-an-ip', weight: 1 }] }),
      /records\.0\.ip: expected an IPv4 address/,
    );
  });
});
