import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { recordFilePath, removeRecordFile, writeRecordFile, type RecordFile } from './record-file.js';
import { RecordStore } from './record-store.js';

const jp: RecordFile = { domain: 'api.svc.plus', region: 'jp', ttl: 30, records: [{ node: 'jp-svc-plus-1', ip: '127.1.1.1', weight: 50 }] };

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'xplane-dns-store-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder and a store over it with a hand-driven clock. */
function fresh(existing?: string): { dir: string; store: RecordStore; clock: { t: number } } {
  const dir = existing ?? join(root, `case-${++n}`);
  const clock = { t: 0 };
  return { dir, store: new RecordStore({ dir, log: silentLogger(), now: () => clock.t }), clock };
}

describe('record files', () => {
  it('writes <dir>/<domain>/<region>.json atomically, normalizing the domain', async () => {
    const { dir } = fresh();
    const path = await writeRecordFile(dir, { ...jp, domain: 'API.svc.plus.' });
    assert.equal(path, join(dir, 'api.svc.plus', 'jp.json'));
    assert.equal(recordFilePath(dir, 'API.svc.plus.', 'jp'), path);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), jp);
    assert.deepEqual(await readdir(join(dir, 'api.svc.plus')), ['jp.json'], 'no temp file is left behind');
  });

  it('refuses to write an invalid file', async () => {
    const { dir } = fresh();
    await assert.rejects(writeRecordFile(dir, { ...jp, records: [{ node: 'a', ip: '::1', weight: 1 }] }), /IPv4/);
    await assert.rejects(writeRecordFile(dir, { ...jp, ttl: -1 }), /ttl/);
    await assert.rejects(writeRecordFile(dir, { ...jp, records: [{ node: 'a', ip: '1.2.3.4', weight: -1 }] }), /weight/);
    await assert.rejects(writeRecordFile(dir, { ...jp, domain: 'bad_name.svc.plus' }), /domain/);
    await assert.rejects(writeRecordFile(dir, { ...jp, zone: 'other.plus' }), /zone/);
    await assert.rejects(removeRecordFile(dir, 'api.svc.plus', '../../etc'), /region/);
  });

  it('removes a file, and removing it again is fine', async () => {
    const { dir } = fresh();
    const path = await writeRecordFile(dir, jp);
    await removeRecordFile(dir, 'api.svc.plus', 'jp');
    await removeRecordFile(dir, 'api.svc.plus', 'jp');
    await assert.rejects(readFile(path), { code: 'ENOENT' });
  });
});

describe('RecordStore', () => {
  it('is empty while the folder does not exist', () => {
    const { store } = fresh();
    assert.equal(store.table().names.size, 0);
  });

  it('folds the regions of a name together, each record with its file TTL', async () => {
    const { dir, store } = fresh();
    await writeRecordFile(dir, jp);
    await writeRecordFile(dir, { domain: 'api.svc.plus', region: 'sg', ttl: 60, records: [{ node: 'sg-svc-plus-1', ip: '127.2.1.1', weight: 0 }] });
    const records = store.table().names.get('api.svc.plus');
    assert.deepEqual(records, [
      { node: 'jp-svc-plus-1', ip: '127.1.1.1', weight: 50, ttl: 30, region: 'jp' },
      { node: 'sg-svc-plus-1', ip: '127.2.1.1', weight: 0, ttl: 60, region: 'sg' },
    ]);
  });

  it('checks the folder at most once per interval, then sees rewrites and removals', async () => {
    const { dir, store, clock } = fresh();
    await writeRecordFile(dir, { ...jp, serial: 1_780_000_000 });
    const first = store.table();
    await writeRecordFile(dir, { ...jp, serial: 1_780_000_060, records: [{ node: 'jp-svc-plus-2', ip: '127.1.1.2', weight: 1 }] });
    clock.t = 199;
    assert.equal(store.table(), first, 'no check before 200 ms');
    clock.t = 200;
    const second = store.table();
    assert.equal(second.names.get('api.svc.plus')?.[0]?.ip, '127.1.1.2');
    // The serial is the commit time the files carry, not a reload count: the same on every replica and after a restart.
    assert.equal(first.serial, 1_780_000_000);
    assert.equal(second.serial, 1_780_000_060);
    clock.t = 400;
    assert.equal(store.table(), second, 'an unchanged folder keeps the same table');
    await removeRecordFile(dir, 'api.svc.plus', 'jp');
    clock.t = 600;
    assert.equal(store.table().names.size, 0);
  });

  it('takes a serial that stays the same across restarts from files written without one: their mtime', async () => {
    const { dir, store } = fresh();
    const path = await writeRecordFile(dir, jp);
    const mtime = new Date('2026-11-30T12:00:00Z');
    utimesSync(path, mtime, mtime);
    assert.equal(store.table().serial, mtime.getTime() / 1000);
    assert.equal(fresh(dir).store.table().serial, mtime.getTime() / 1000);
  });

  it('skips a corrupt or mislabelled file and keeps the others', async () => {
    const { dir, store } = fresh();
    const logged: string[] = [];
    const log = silentLogger();
    log.warn = (obj: { path?: string }) => void logged.push(obj.path ?? '');
    const watched = new RecordStore({ dir, log });
    await writeRecordFile(dir, jp);
    await mkdir(join(dir, 'bad.svc.plus'), { recursive: true });
    await writeFile(join(dir, 'bad.svc.plus', 'jp.json'), '{ "domain": "bad.svc.plus", ');
    await writeFile(join(dir, 'bad.svc.plus', 'sg.json'), JSON.stringify({ ...jp, domain: 'bad.svc.plus', region: 'jp' }));
    await writeFile(join(dir, 'bad.svc.plus', '.sg.json.123.tmp'), 'half a file');
    await mkdir(join(dir, 'other.svc.plus'), { recursive: true });
    await writeFile(join(dir, 'other.svc.plus', 'jp.json'), JSON.stringify(jp));
    for (const s of [store, watched]) assert.deepEqual([...s.table().names.keys()], ['api.svc.plus']);
    assert.equal(logged.length, 3);
    watched.reload();
    assert.equal(logged.length, 3, 'a bad file is logged once per version, not on every check');
  });
});
