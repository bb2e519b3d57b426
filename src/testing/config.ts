// The repo's own example declarations, parsed, for tests that need a config in force.
import { loadDeclarations, type Declarations } from '../config/index.js';
import { REPO_ROOT } from './git-fixture.js';

/** The seed example (svc-plus in jp and sg) as validated declarations. */
export async function seedDeclarations(): Promise<Declarations> {
  const result = await loadDeclarations(REPO_ROOT);
  if (!result.ok) throw new Error(`the seed example is invalid: ${JSON.stringify(result.issues)}`);
  return result.declarations;
}
