// Lint rules (`npm run lint`, run by `npm test` and `.ci/run`): typescript-eslint's
// strict, type-checked set, and the project's boundaries (scripts/eslint/boundaries.js):
// a folder under src/ is used by others only through its index.ts, nothing in src/
// reaches into test/, and program/ uses src/ only through public faces.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from './scripts/eslint/boundaries.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', '**/*.cjs', 'scripts/langhost/', '.xplane/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { xplane: { rules: { boundaries } } },
    rules: {
      'xplane/boundaries': 'error',
      // Numbers and booleans print well in messages and commit lines.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
      // `() => void x()` and arrow bodies that return a void call read well; the void return is not a bug.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidOperator: true }],
      // Async functions here implement async interfaces — the Store, fastify plugins and handlers —
      // whose in-memory or synchronous implementations have nothing to await; the rule would only
      // make them `return Promise.resolve(x)`.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests may assert what they just checked (`found!`) without a branch the reader must skip.
    files: ['**/*.test.ts', 'test/**/*.ts', 'src/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Plain JavaScript (scripts, the bin shim): no type information.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The status page's script runs in the browser, as a classic script.
    files: ['ui/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { document: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', encodeURIComponent: 'readonly' },
    },
  },
);
