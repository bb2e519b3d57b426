// Signed commits (contract §6): the loop's commits honour the git configuration
// xplane runs with — commit.gpgsign, user.signingkey, gpg.format — like
// `git commit -S`. Real keys (ssh-keygen, gpg), the real writer and mirror, a
// real bare remote; the remote's commits are checked with `git verify-commit`
// by a verifier that holds only the public key.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { GitError, GitMirror, GitWriter, readCommitSigning } from '../src/gitops/index.js';
import { silentLogger } from '../src/log/index.js';
import { gitSync, makeGitFixture, tempDir, type GitFixture } from '../src/testing/index.js';

const STACK = 'stacks/Pulumi.jp.yaml';
const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

function have(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = ['gpg', 'ssh-keygen'].filter((c) => !have(c));
if (missing.length > 0 && process.env.CI) throw new Error(`CI must provide ${missing.join(' and ')} (Debian: gnupg, openssh-client; see .ci/run)`);

/** The environment variables a test sets for the git that xplane runs, put back afterwards. */
function withEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  };
}

/** Pushes one bot commit through the writer and returns its id. */
async function botCommit(fixture: GitFixture, text: string): Promise<string> {
  const mirror = new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror'));
  const writer = new GitWriter({ mirror, author: BOT, push: true, log: silentLogger(), backoffMs: 1 });
  const outcome = await writer.write(async () => ({ files: { [STACK]: text }, message: 'autoscale: svc-plus jp 1→2 (cpu=0.82)\n' }));
  assert.equal(outcome.status, 'pushed');
  assert.ok('commit' in outcome);
  assert.equal(gitSync(fixture.bare, 'rev-parse', 'main'), outcome.commit);
  return outcome.commit;
}

/** `git verify-commit` in the bare remote, under the verifier's own configuration; its exit and what it printed. */
function verify(fixture: GitFixture, commit: string, env: Record<string, string>): { ok: boolean; output: string; status: string } {
  const run = (args: string[]): string => execFileSync('git', args, { cwd: fixture.bare, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe' });
  const status = run(['log', '-1', '--format=%G?', commit]).trim();
  try {
    execFileSync('git', ['verify-commit', '-v', commit], { cwd: fixture.bare, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output: '', status };
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}`, status };
  }
}

describe('signed commits', { skip: missing.length > 0 ? `no ${missing.join(', ')} here (Debian: gnupg, openssh-client)` : false }, () => {
  let fixture: GitFixture;
  let keys: string;
  let restore: () => void = () => undefined;
  before(() => {
    keys = tempDir('xplane-keys-');
  });
  after(() => {
    // gpg starts an agent per GNUPGHOME; stop the ones this file started.
    for (const home of ['gnupg-bot', 'gnupg-verifier']) {
      try {
        execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: join(keys, home) }, stdio: 'ignore' });
      } catch {
        // never started
      }
    }
    execFileSync('rm', ['-rf', keys]);
  });
  beforeEach(() => {
    fixture = makeGitFixture();
  });
  afterEach(() => {
    restore();
    restore = () => undefined;
    fixture.cleanup();
  });

  it('signs with an ssh key when gpg.format is ssh, and the remote verifies it against allowed signers', async () => {
    const key = join(keys, 'bot_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'xplane-bot', '-f', key]);
    // The way an operator gives the bot a key: a global git config of its own (GIT_CONFIG_GLOBAL in the unit).
    const config = join(keys, 'gitconfig-ssh');
    writeFileSync(config, `[commit]\n\tgpgsign = true\n[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = ${key}\n`);
    restore = withEnv({ GIT_CONFIG_GLOBAL: config });
    assert.deepEqual(await readCommitSigning(fixture.root), { sign: true, format: 'ssh', key });

    const commit = await botCommit(fixture, 'config:\n  xplane:region: jp\n');
    assert.match(gitSync(fixture.bare, 'cat-file', 'commit', commit), /^gpgsig -----BEGIN SSH SIGNATURE-----/m);

    const allowed = join(keys, 'allowed_signers');
    writeFileSync(allowed, `${BOT.email} ${readFileSync(`${key}.pub`, 'utf8').trim()}\n`);
    const verifierConfig = join(keys, 'gitconfig-verifier-ssh');
    writeFileSync(verifierConfig, `[gpg "ssh"]\n\tallowedSignersFile = ${allowed}\n`);
    const result = verify(fixture, commit, { GIT_CONFIG_GLOBAL: verifierConfig });
    assert.equal(result.status, 'G', result.output);
    assert.ok(result.ok, result.output);

    // Another key is not the bot's: the same check fails.
    const stranger = join(keys, 'stranger_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    writeFileSync(allowed, `${BOT.email} ${readFileSync(`${stranger}.pub`, 'utf8').trim()}\n`);
    assert.equal(verify(fixture, commit, { GIT_CONFIG_GLOBAL: verifierConfig }).ok, false);
  });

  it('signs with an OpenPGP key named by user.signingkey, and a keyring holding only the public key verifies it', async () => {
    const botHome = join(keys, 'gnupg-bot');
    const verifierHome = join(keys, 'gnupg-verifier');
    execFileSync('mkdir', ['-m', '700', botHome, verifierHome]);
    const gpg = (home: string, ...args: string[]): string =>
      execFileSync('gpg', ['--batch', '--quiet', ...args], { env: { ...process.env, GNUPGHOME: home }, encoding: 'utf8', stdio: 'pipe' });
    gpg(botHome, '--passphrase', '', '--quick-generate-key', `${BOT.name} <${BOT.email}>`, 'ed25519', 'sign', 'never');
    const fingerprint = /^fpr:{9}([0-9A-F]{40}):/m.exec(gpg(botHome, '--with-colons', '--list-secret-keys'))?.[1];
    assert.ok(fingerprint, 'a key was made');
    // This time in the repo-level config of xplane's work dir, another place git reads.
    const mirrorDir = join(fixture.root, 'mirror');
    await new GitMirror(fixture.bare, 'main', mirrorDir).ensure();
    gitSync(mirrorDir, 'config', 'commit.gpgsign', 'true');
    gitSync(mirrorDir, 'config', 'user.signingkey', fingerprint);
    restore = withEnv({ GNUPGHOME: botHome });
    assert.deepEqual(await readCommitSigning(mirrorDir), { sign: true, format: 'openpgp', key: fingerprint });

    const commit = await botCommit(fixture, 'config:\n  xplane:region: jp\n  # signed\n');
    assert.match(gitSync(fixture.bare, 'cat-file', 'commit', commit), /^gpgsig -----BEGIN PGP SIGNATURE-----/m);

    const unverified = verify(fixture, commit, { GNUPGHOME: verifierHome });
    assert.equal(unverified.ok, false, 'no public key yet: not verified');
    execFileSync('gpg', ['--batch', '--quiet', '--import'], {
      env: { ...process.env, GNUPGHOME: verifierHome },
      input: gpg(botHome, '--armor', '--export', fingerprint),
    });
    execFileSync('gpg', ['--batch', '--quiet', '--import-ownertrust'], { env: { ...process.env, GNUPGHOME: verifierHome }, input: `${fingerprint}:6:\n` });
    const result = verify(fixture, commit, { GNUPGHOME: verifierHome });
    assert.equal(result.status, 'G', result.output);
    assert.ok(result.ok, result.output);
  });

  it('leaves commits unsigned when commit.gpgsign is not set', async () => {
    const config = join(keys, 'gitconfig-plain');
    writeFileSync(config, '[user]\n\tsigningkey = /nonexistent\n');
    restore = withEnv({ GIT_CONFIG_GLOBAL: config });
    const commit = await botCommit(fixture, 'config:\n  xplane:region: jp\n  # unsigned\n');
    assert.equal(gitSync(fixture.bare, 'log', '-1', '--format=%G?', commit), 'N');
  });

  it('fails the commit, naming the signing settings, when the key cannot sign — and pushes nothing', async () => {
    const config = join(keys, 'gitconfig-broken');
    writeFileSync(config, `[commit]\n\tgpgsign = true\n[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = ${join(keys, 'no-such-key')}\n`);
    restore = withEnv({ GIT_CONFIG_GLOBAL: config });
    const before = gitSync(fixture.bare, 'rev-parse', 'main');
    await assert.rejects(botCommit(fixture, 'config: {}\n'), (err: unknown) => {
      assert.ok(err instanceof GitError);
      assert.match(err.message, /cannot sign the commit \(commit\.gpgsign is true; gpg\.format ssh; user\.signingkey .*no-such-key\)/);
      return true;
    });
    assert.equal(gitSync(fixture.bare, 'rev-parse', 'main'), before);
  });
});
