import { Ajv2020 } from 'ajv/dist/2020.js';
import metaSchema from '../../catalog/catalog.schema.json' with { type: 'json' };

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
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
