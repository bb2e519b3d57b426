// The node agent a machine runs: the one-file bundle `npm run build` writes to
// dist/agent/xplane-agent.mjs, which `xplane serve` also serves at
// GET /v1/agent/xplane-agent.mjs. The program renders its SHA-256 into each
// node's user data, so a node runs exactly the agent of the xplane that
// converged it, and refuses anything else the URL might answer.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/package/index.js';

/** Where the bundle is, relative to the package root. */
export const AGENT_BUNDLE_PATH = 'dist/agent/xplane-agent.mjs';

/** The agent bundle's path and SHA-256 (hex). */
export interface AgentBundle {
  path: string;
  sha256: string;
}

let cached: AgentBundle | undefined;

/** Reads the bundle of this package once; throws with what to do when it was never built. */
export function agentBundle(): AgentBundle {
  if (cached) return cached;
  const path = join(packageRoot(), AGENT_BUNDLE_PATH);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new Error(`${path} is missing: run \`npm run build\` (nodes fetch this agent from the control plane and check its SHA-256)`);
  }
  cached = { path, sha256: createHash('sha256').update(bytes).digest('hex') };
  return cached;
}
