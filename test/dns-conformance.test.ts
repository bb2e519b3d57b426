// The embedded DNS of a real `xplane serve`, checked by clients that are not
// ours (contract §8): dig and kdig for each rule, dnspython to send the
// malformed queries dig cannot make, and unbound, a real recursive resolver,
// with a stub zone pointing at the server. Needs the Debian packages
// bind9-dnsutils, knot-dnsutils, python3-dnspython and unbound (.ci/run
// installs them); without them the suite skips, and CI fails on skips.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { writeRecordFile } from '../src/dns/index.js';
import { makeGitFixture, type GitFixture } from '../src/testing/index.js';
import { freePort, startServe, type ServeProcess } from './helpers/serve.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SERIAL = 1_780_000_000;
const NODES = ['127.1.1.1', '127.1.1.2'];

const missing = [
  ['dig', ['-v']],
  ['kdig', ['--version']],
  ['unbound', ['-V']],
  [PYTHON, ['-c', 'import dns.message']],
].flatMap(([tool, args]) => (spawnSync(tool as string, args as string[], { stdio: 'ignore' }).status === 0 ? [] : [tool as string]));

/** The DNS address serve logged. */
function dnsPort(serve: ServeProcess): number {
  const match = /"address":"127\.0\.0\.1:(\d+)","msg":"dns server listening/.exec(serve.stderr());
  assert.ok(match?.[1], `serve logged no DNS address: ${serve.stderr()}`);
  return Number(match[1]);
}

describe('the embedded DNS, checked by dig, kdig, dnspython and unbound', { skip: missing.length > 0 ? `needs ${missing.join(', ')}` : false }, () => {
  let fixture: GitFixture;
  let state: string;
  let serve: ServeProcess;
  let port: number;

  const dig = async (...args: string[]): Promise<string> => (await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args])).stdout;
  const kdig = async (...args: string[]): Promise<string> => {
    // kdig exits 1 when a transfer is refused; its output is what is checked.
    const result = spawnSync('kdig', [`@127.0.0.1`, '-p', String(port), '+retry=0', '+time=2', ...args], { encoding: 'utf8' });
    return result.stdout + result.stderr;
  };
  /** Sends `query` (Python building a dns.message, as bytes in `wire`) over UDP and prints the reply's rcode name, or the decoding error. */
  const python = async (build: string): Promise<string> => {
    const script = [
      'import dns.message, dns.query, dns.rcode, socket, struct, sys',
      build,
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)',
      `s.sendto(wire, ('127.0.0.1', ${port}))`,
      'reply, _ = s.recvfrom(65535)',
      'r = dns.message.from_wire(reply)',
      'print(dns.rcode.to_text(r.rcode()), r.id, len(r.answer), r.edns)',
    ].join('\n');
    return (await run(PYTHON, ['-c', script])).stdout.trim();
  };

  before(async () => {
    fixture = makeGitFixture();
    state = mkdtempSync(join(tmpdir(), 'xplane-dns-conf-'));
    const dir = join(state, 'dns');
    await writeRecordFile(dir, {
      domain: 'api.svc.plus',
      region: 'jp',
      ttl: 30,
      zone: 'svc.plus',
      serial: SERIAL,
      records: NODES.map((ip, i) => ({ node: `jp-svc-plus-${i + 1}`, ip, weight: 50 })),
    });
    serve = await startServe(
      ['--repo', fixture.bare, '--db', join(state, 'x.db'), '--workdir', join(state, 'work'), '--dns-dir', dir, '--no-probe', '--dry-run'],
      { XPLANE_BOOTSTRAP_TOKEN: 'b', XPLANE_ADMIN_TOKEN: 'a', XPLANE_LOG_LEVEL: 'info' },
    );
    port = dnsPort(serve);
  });

  after(async () => {
    await serve.stop();
    fixture.cleanup();
    rmSync(state, { recursive: true, force: true });
  });

  it('answers A authoritatively, with an OPT carrying its UDP size to a query with EDNS', async () => {
    const out = await dig('+norec', '+edns=0', 'api.svc.plus', 'A');
    assert.match(out, /status: NOERROR/);
    assert.match(out, /flags: qr aa;/);
    assert.match(out, /OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232/);
    assert.match(out, /api\.svc\.plus\.\s+30\s+IN\s+A\s+127\.1\.1\.[12]/);
    assert.doesNotMatch(await dig('+noedns', 'api.svc.plus'), /OPT PSEUDOSECTION/, 'no OPT without one in the query');
  });

  it('answers BADVERS to EDNS version 1', async () => {
    const out = await dig('+edns=1', '+noednsneg', 'api.svc.plus');
    assert.match(out, /status: BADVERS/);
    assert.match(out, /EDNS: version: 0/);
    assert.match(out, /ANSWER: 0/);
  });

  it('has SOA and NS at the apex, with glue, and the name server resolves', async () => {
    const soa = (await dig('+short', 'svc.plus', 'SOA')).trim();
    assert.equal(soa, `ns1.svc.plus. hostmaster.svc.plus. ${SERIAL} 3600 600 86400 30`);
    const ns = await dig('svc.plus', 'NS');
    assert.match(ns, /ANSWER SECTION:\nsvc\.plus\.\s+30\s+IN\s+NS\s+ns1\.svc\.plus\./);
    assert.match(ns, /ADDITIONAL SECTION:\nns1\.svc\.plus\.\s+30\s+IN\s+A\s+127\.0\.0\.1/);
    assert.equal((await dig('+short', 'ns1.svc.plus', 'A')).trim(), '127.0.0.1');
    const kns = await kdig('svc.plus', 'NS');
    assert.match(kns, /status: NOERROR/);
    assert.match(kns, /ns1\.svc\.plus\./);
  });

  it('refuses zone transfers (AXFR over TCP, IXFR) and names outside its zones', async () => {
    assert.match(await kdig('svc.plus', 'AXFR'), /REFUSED/);
    assert.match(await dig('svc.plus', 'IXFR=1'), /status: REFUSED|Transfer failed/);
    assert.match(await kdig('+notcp', 'svc.plus', 'IXFR=1'), /REFUSED/);
    assert.match(await dig('example.com', 'A'), /status: REFUSED/);
  });

  it('answers FORMERR to two OPTs, an OPT with an owner, counts that do not match and trailing bytes', async () => {
    const base = "q = dns.message.make_query('api.svc.plus', 'A', use_edns=0); q.id = 4242; wire = q.to_wire()";
    // The OPT is the last 11 octets of that query: repeat it and bump ARCOUNT.
    const twoOpts = `${base}\nwire = wire[:10] + struct.pack('>H', 2) + wire[12:] + wire[-11:]`;
    // Give the OPT the owner name "x" instead of the root.
    const owner = `${base}\nwire = wire[:-11] + b'\\x01x\\x00' + wire[-10:]`;
    const counts = "q = dns.message.make_query('api.svc.plus', 'A'); q.id = 4242; wire = q.to_wire(); wire = wire[:6] + struct.pack('>H', 1) + wire[8:]";
    const trailing = "q = dns.message.make_query('api.svc.plus', 'A'); q.id = 4242; wire = q.to_wire() + b'\\x00\\x00\\x00'";
    for (const [name, build] of Object.entries({ twoOpts, owner, counts, trailing })) {
      assert.match(await python(build), /^FORMERR 4242 0 /, name);
    }
    assert.match(await python(base), /^NOERROR 4242 1 0$/, 'the same query unaltered is answered');
  });

  it('counts each reply by rcode in xplane_dns_queries_total', async () => {
    const count = async (rcode: string): Promise<number> => {
      const text = await (await fetch(`${serve.url}/metrics`)).text();
      return Number(new RegExp(`^xplane_dns_queries_total\\{rcode="${rcode}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    };
    const before = { badvers: await count('BADVERS'), refused: await count('REFUSED') };
    await dig('+edns=1', '+noednsneg', 'api.svc.plus');
    await dig('example.com', 'A');
    await dig('example.com', 'A');
    assert.equal(await count('BADVERS'), before.badvers + 1);
    assert.equal(await count('REFUSED'), before.refused + 2);
  });

  it('serves the same SOA serial after a restart: the commit time the records carry', async () => {
    await serve.stop();
    serve = await startServe(
      ['--repo', fixture.bare, '--db', join(state, 'x.db'), '--workdir', join(state, 'work'), '--dns-dir', join(state, 'dns'), '--no-probe', '--dry-run'],
      { XPLANE_BOOTSTRAP_TOKEN: 'b', XPLANE_ADMIN_TOKEN: 'a', XPLANE_LOG_LEVEL: 'info' },
    );
    port = dnsPort(serve);
    assert.match(await dig('+short', 'svc.plus', 'SOA'), new RegExp(` ${SERIAL} `));
  });

  describe('through unbound, a recursive resolver with a stub zone', () => {
    let unbound: ChildProcess;
    let unboundPort: number;
    let log = '';

    before(async () => {
      unboundPort = await freePort();
      const conf = join(state, 'unbound.conf');
      writeFileSync(
        conf,
        [
          'server:',
          '  interface: 127.0.0.1',
          `  port: ${unboundPort}`,
          '  do-ip6: no',
          '  do-daemonize: no',
          '  username: ""',
          '  chroot: ""',
          `  directory: "${state}"`,
          '  pidfile: ""',
          '  use-syslog: no',
          '  logfile: ""',
          '  verbosity: 1',
          '  access-control: 127.0.0.0/8 allow',
          '  do-not-query-localhost: no',
          '  module-config: "iterator"',
          // 0x20: unbound randomizes the case of each query name and rejects an answer whose question does not echo it.
          '  use-caps-for-id: yes',
          'stub-zone:',
          '  name: "svc.plus"',
          `  stub-addr: 127.0.0.1@${port}`,
          '',
        ].join('\n'),
      );
      unbound = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      unbound.stderr?.on('data', (c: Buffer) => (log += c.toString()));
      unbound.stdout?.on('data', (c: Buffer) => (log += c.toString()));
      for (let i = 0; i < 100; i++) {
        const probe = spawnSync('dig', ['@127.0.0.1', '-p', String(unboundPort), '+tries=1', '+time=1', 'ns1.svc.plus'], { encoding: 'utf8' });
        if (/status: NOERROR/.test(probe.stdout)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`unbound did not answer: ${log}`);
    });

    after(() => {
      unbound.kill('SIGTERM');
    });

    const viaUnbound = async (...args: string[]): Promise<string> =>
      (await run('dig', ['@127.0.0.1', '-p', String(unboundPort), '+tries=1', '+time=3', ...args])).stdout;

    it('resolves A records, with mixed-case names', async () => {
      for (const name of ['api.svc.plus', 'ApI.SvC.PlUs']) {
        const out = await viaUnbound(name, 'A');
        assert.match(out, /status: NOERROR/, out);
        assert.match(out, /IN\s+A\s+127\.1\.1\.[12]/, out);
      }
    });

    it('passes on NXDOMAIN and NODATA with the SOA', async () => {
      const nx = await viaUnbound('nothere.svc.plus', 'A');
      assert.match(nx, /status: NXDOMAIN/, nx);
      assert.match(nx, /svc\.plus\.\s+\d+\s+IN\s+SOA\s+ns1\.svc\.plus\./, nx);
      const nodata = await viaUnbound('api.svc.plus', 'AAAA');
      assert.match(nodata, /status: NOERROR/, nodata);
      assert.match(nodata, /ANSWER: 0/, nodata);
      assert.match(nodata, /IN\s+SOA\s+ns1\.svc\.plus\./, nodata);
    });
  });
});
