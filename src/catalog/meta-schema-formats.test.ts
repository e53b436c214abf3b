import { describe, expect, it } from 'vitest';
import metaSchema from '../../catalog/catalog.schema.json' with { type: 'json' };
import { IDENTIFIER_KINDS } from '../identifiers/index.ts';

// The catalog's meta-schema is JSON, for catalog authors and their editors: it cannot import the identifier
// kinds, so it is held to them here. The code derives its lists from IDENTIFIER_KINDS (src/identifiers).
describe('the catalog meta-schema names the identifier kinds the validator checks', () => {
  const defs = metaSchema.$defs as unknown as {
    field: { properties: { format: { enum: string[] } } };
    rule: {
      oneOf: {
        properties: { rule: { const?: string }; types?: { additionalProperties: { enum: string[] } } };
      }[];
    };
  };

  it('as field formats, beside cn-date', () => {
    expect(defs.field.properties.format.enum).toEqual([...IDENTIFIER_KINDS, 'cn-date']);
  });

  it('as the kinds an identifier-by-type rule may choose', () => {
    const rule = defs.rule.oneOf.find(
      (candidate) => candidate.properties.rule.const === 'identifier-by-type',
    );
    expect(rule?.properties.types?.additionalProperties.enum).toEqual([...IDENTIFIER_KINDS]);
  });
});
