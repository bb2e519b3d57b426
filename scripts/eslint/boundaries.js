// ESLint rule `xplane/boundaries`: the folder boundaries the codebase keeps.
// - A folder under src/ is used from outside only through its index.ts: an
//   import from another folder (or from program/, bench/, test/) that resolves
//   to src/<folder>/<anything but index.js> is an error.
// - Nothing in src/ imports from test/.
// Files at the root of src/ (errors.ts, failpoints.ts, index.ts) are faces of
// their own. Type-only imports follow the same rule: a type is part of a face.
import { dirname, relative, resolve, sep } from 'node:path';

/** The folder of src/ a path is in (`nodes` for src/nodes/registry.ts), or undefined outside src/ or at its root. */
function srcFolder(root, file) {
  const rel = relative(resolve(root, 'src'), file);
  if (rel.startsWith('..') || !rel.includes(sep)) return undefined;
  return rel.split(sep)[0];
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'imports across folders go through index.ts; src/ never imports test/' },
    schema: [],
    messages: {
      face: "import '{{source}}' through '{{face}}': src/{{folder}}/ is used from outside only through its index.ts",
      test: "src/ must not import test/ ('{{source}}'); shared test support lives in src/testing",
    },
  },
  create(context) {
    const root = context.cwd;
    const file = context.filename;
    const from = srcFolder(root, file);
    const inSrc = !relative(resolve(root, 'src'), file).startsWith('..');
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      if (inSrc && !relative(resolve(root, 'test'), target).startsWith('..')) {
        context.report({ node: node.source, messageId: 'test', data: { source } });
        return;
      }
      const to = srcFolder(root, target);
      if (to === undefined || to === from) return;
      const inside = relative(resolve(root, 'src', to), target);
      if (inside === 'index.js' || inside === 'index.ts') return;
      const face = relative(dirname(file), resolve(root, 'src', to, 'index.js'));
      context.report({ node: node.source, messageId: 'face', data: { source, folder: to, face: face.startsWith('.') ? face : `./${face}` } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: (node) => check({ source: node.source }) };
  },
};
