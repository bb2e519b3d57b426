// The playground's GitOps repo: this repo's own example, moved onto the
// `local` target (nodes are loopback processes, DNS is the embedded server,
// or a local PowerDNS with `--dns powerdns`) with timings short enough to
// watch the loop work in a minute or two.
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What answers the playground's DNS: xplane's embedded server, or a local PowerDNS. */
export type PlaygroundDns = 'embedded' | 'powerdns';

/** The gtm `dns.provider` line of each playground DNS. */
const PROVIDER_LINE: Record<PlaygroundDns, string> = {
  embedded: '$1provider: local          # xplane serve’s embedded DNS server',
  powerdns: '$1provider: powerdns       # a local pdns_server (xplane demo --dns powerdns)',
};

/** Text edits, in order, per seed file: [pattern, replacement]. */
const edits = (dns: PlaygroundDns): Record<string, [RegExp, string][]> => ({
  'platform-config/regions/jp.yaml': [
    [/^provider: aws(\s*#.*)?$/m, 'provider: local            # the playground: nodes are processes on loopback addresses'],
    [/^location: .*\n/m, ''],
    [/^instance_type: .*\n/m, ''],
  ],
  'platform-config/regions/sg.yaml': [
    [/^provider: aws(\s*#.*)?$/m, 'provider: local            # the playground: nodes are processes on loopback addresses'],
    [/^location: .*\n/m, ''],
    [/^instance_type: .*\n/m, ''],
  ],
  'platform-config/gtm/svc-plus.yaml': [
    [/^(\s*)provider: route53(.*)$/m, PROVIDER_LINE[dns]],
    [/^(\s*)interval: 5s$/m, '$1interval: 1s'],
    [/^(\s*)timeout: 2s$/m, '$1timeout: 500ms'],
    [/^(\s*)ttl: 30$/m, '$1ttl: 5'],
  ],
  'platform-config/autoscale/svc-plus.yaml': [
    [/cpu_window: 60s /, 'cpu_window: 10s '],
    [/cooldown: 120s /, 'cooldown: 20s  '],
    [/scale_down_stabilization: 300s /, 'scale_down_stabilization: 30s  '],
    [/drain: 60s /, 'drain: 10s '],
    [/replace_after: 5m /, 'replace_after: 1m '],
    [/provision_timeout: 10m /, 'provision_timeout: 2m  '],
  ],
});

/** The playground repo's .gitignore when the package has none of its own. */
const PLAYGROUND_GITIGNORE = 'node_modules/\n.xplane/\ndist/\n';

/** The files of the playground repo. */
export const SEED_PATHS = ['Pulumi.yaml', 'platform-config', 'stacks', 'program', '.gitignore'];

/** Copies the example from `root` to `dir` and moves it onto the local target, its DNS answered by `dns`. */
export async function writePlaygroundRepo(root: string, dir: string, dns: PlaygroundDns = 'embedded'): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const path of SEED_PATHS) {
    // npm leaves .gitignore files out of a published package: an installed xplane seeds its own.
    if (path === '.gitignore' && !existsSync(join(root, path))) await writeFile(join(dir, path), PLAYGROUND_GITIGNORE);
    else await cp(join(root, path), join(dir, path), { recursive: true });
  }
  for (const [path, changes] of Object.entries(edits(dns))) {
    let text = await readFile(join(dir, path), 'utf8');
    for (const [pattern, replacement] of changes) {
      const next = text.replace(pattern, replacement);
      if (next === text) throw new Error(`the playground seed no longer matches ${path} (${pattern}); update src/demo/seed.ts`);
      text = next;
    }
    await writeFile(join(dir, path), text);
  }
}
