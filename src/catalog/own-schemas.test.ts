import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import catalogMetaSchema from '../../catalog/catalog.schema.json' with { type: 'json' };
import { PROVIDERS_SCHEMA } from '../report/providers.ts';

/**
 * The schemas the engine compiles without checking them against JSON Schema's meta-schema at every start
 * (entry-shape.ts, providers.ts): checked here instead.
 */
describe("the engine's own schemas", () => {
  it.each([
    ['catalog/catalog.schema.json', catalogMetaSchema],
    ['the provider registry (providers.ts)', PROVIDERS_SCHEMA],
  ])('%s is valid JSON Schema 2020-12', (_name, schema) => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true);
  });

  it('a schema that is not valid JSON Schema fails this check', () => {
    const ajv = new Ajv2020({ allErrors: true });
    expect(ajv.validateSchema({ type: 'object', properties: { a: { type: 'strnig' } } })).toBe(false);
  });
});
