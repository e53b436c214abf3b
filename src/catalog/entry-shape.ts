import { Ajv2020 } from 'ajv/dist/2020.js';
import metaSchema from '../../catalog/catalog.schema.json' with { type: 'json' };

// The meta-schema is ours: a test checks it against JSON Schema's own (src/catalog/own-schemas.test.ts) once, rather
// than every process compiling that at start (~40 ms of the CLI's start, and again in each unit worker).
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, validateSchema: false });
const validateEntryShape = ajv.compile(metaSchema);

/** Meta-schema problems of one parsed entry file (empty when its shape is right). */
export function entryShapeProblems(parsed: unknown): string[] {
  if (validateEntryShape(parsed)) return [];
  return (validateEntryShape.errors ?? []).map(
    (error) => `${error.instancePath || '/'} ${error.message}${paramsText(error.params)}`,
  );
}

function paramsText(params: Record<string, unknown>): string {
  const shown = Object.entries(params).filter(([, value]) => typeof value !== 'object');
  return shown.length > 0 ? ` (${shown.map(([key, value]) => `${key}: ${value}`).join(', ')})` : '';
}
