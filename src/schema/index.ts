// Public face of schema: the JSON Schema of each declaration, for editors.
export { SCHEMA_KINDS, declarationFiles, declarationJsonSchema, schemaPath, schemaText, type SchemaKind } from './json-schema.js';
