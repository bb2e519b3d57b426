import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadDeclarations } from '../config/index.js';
import { REPO_ROOT } from '../testing/index.js';
import { writePlaygroundRepo } from './seed.js';

describe('writePlaygroundRepo', () => {
  it('moves the example onto the local target with short timings, and the result is valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xplane-seed-'));
    try {
      await writePlaygroundRepo(REPO_ROOT, dir);
      const result = await loadDeclarations(dir);
      assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
      const d = result.declarations;
      assert.equal(d.regions.jp?.provider, 'local');
      assert.equal(d.regions.sg?.provider, 'local');
      assert.equal(d.gtm['svc-plus']?.dns.provider, 'local');
      assert.equal(d.gtm['svc-plus'].health.interval, 1_000);
      assert.equal(d.autoscale['svc-plus']?.global.cooldown, 20_000);
      assert.equal(d.autoscale['svc-plus'].global.drain, 10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeds dns.provider powerdns for a playground answered by a local PowerDNS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xplane-seed-'));
    try {
      await writePlaygroundRepo(REPO_ROOT, dir, 'powerdns');
      const result = await loadDeclarations(dir);
      assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
      assert.equal(result.declarations.gtm['svc-plus']?.dns.provider, 'powerdns');
      assert.equal(result.declarations.regions.jp?.provider, 'local');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
