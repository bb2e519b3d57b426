// Lint rules (npm run lint, run by .ci/run): typescript-eslint's strict,
// type-checked set, and the project's boundaries — a folder under src/ is used
// by others only through its index.ts, nothing in src/ reaches into test/, and
// program/ uses src/ only through public faces.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', '**/*.cjs', 'scripts/langhost/', '.xplane/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
