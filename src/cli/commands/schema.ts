// `xplane schema gtm|autoscale|region`: the JSON Schema of a declaration, for editors.
import { parse, UsageError } from '../../flags/index.js';
import { SCHEMA_KINDS, declarationFiles, schemaPath, schemaText, type SchemaKind } from '../../schema/index.js';

/** Usage text of `xplane schema`. */
export const schemaHelp = `Usage: xplane schema gtm|autoscale|region

Prints the JSON Schema (draft-07) of one kind of declaration, generated from
the same zod schemas \`xplane validate\` checks with. Editors use it to
complete and check the files as they are typed: this repo keeps them in
schemas/ and each example file names its own in a modeline, e.g.

  # yaml-language-server: $schema=../../schemas/gtm.schema.json

The schema checks one file alone; the rules between files (every region has a
regions/ file, scale_down_cpu < scale_up_cpu, ...) are \`xplane validate\`'s.

${SCHEMA_KINDS.map((k) => `  ${k.padEnd(10)} ${schemaPath(k).padEnd(30)} ${declarationFiles(k)}`).join('\n')}

Refresh the committed files after changing the zod schemas:
  for k in gtm autoscale region; do npx xplane schema $k > schemas/$k.schema.json; done`;

/** Runs `xplane schema`; returns the exit code. */
export async function schemaCommand(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, true);
  const [kind, ...extra] = positionals;
  if (kind === undefined) throw new UsageError(`name a declaration: ${SCHEMA_KINDS.join(', ')}`);
  if (!(SCHEMA_KINDS as readonly string[]).includes(kind)) throw new UsageError(`unknown declaration "${kind}" (expected one of: ${SCHEMA_KINDS.join(', ')})`);
  if (extra.length > 0) throw new UsageError(`one declaration at a time, got ${positionals.join(' ')}`);
  process.stdout.write(schemaText(kind as SchemaKind));
  return 0;
}
