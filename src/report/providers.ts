import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 as Ajv } from 'ajv/dist/2020.js';
import { CHANNEL_LEVELS, type ChannelLevel } from '../catalog/catalog-entry.ts';
import { ConfigError, PROJECT_ROOT } from '../config/config.ts';
import { checkUscc } from '../identifiers/uscc.ts';

/** One providing department (报送单位): who is expected to deliver what (Art. 11, Art. 15 应归尽归). */
export interface Provider {
  /** The department's unified social credit code, as used with `ingest --provider` and in pipelines. */
  code: string;
  /** Its Chinese name, shown on notices and bulletins. */
  name: string;
  /** Its channel level. */
  level: ChannelLevel;
  /** Catalog entry codes it must deliver: catalog coverage is delivered ÷ expected. */
  expectedEntries: string[];
}

export const DEFAULT_PROVIDERS_FILE = path.join(PROJECT_ROOT, 'config', 'providers.json');

/** The provider registry: `CREDIT_ETL_PROVIDERS_FILE`, default `config/providers.json`. */
export function providersFile(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.CREDIT_ETL_PROVIDERS_FILE?.trim();
  return value ? path.resolve(value) : DEFAULT_PROVIDERS_FILE;
}

/** The registry file's shape (exported so that a test checks it once against JSON Schema's own meta-schema). */
export const PROVIDERS_SCHEMA = {
  type: 'object',
  required: ['providers'],
  properties: {
    providers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'name', 'level', 'expectedEntries'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', minLength: 1 },
          name: { type: 'string', minLength: 1 },
          level: { enum: [...CHANNEL_LEVELS] },
          expectedEntries: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
        },
      },
    },
  },
} as const;

/** Reads and checks the providers file; a ConfigError names the file and the fix. */
export async function loadProviders(file: string = providersFile()): Promise<Provider[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `providers file ${file}: ${(error as Error).message} (format: docs/configuration.md "Provider registry")`,
    );
  }
  // Our own schema, checked against the meta-schema by a test, not at every start (~45 ms a process).
  const validate = new Ajv({ allErrors: true, validateSchema: false }).compile(PROVIDERS_SCHEMA);
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new ConfigError(
      `providers file ${file} is invalid: ${problems} (format: docs/configuration.md "Provider registry")`,
    );
  }
  const providers = (data as { providers: Provider[] }).providers;
  const seen = new Set<string>();
  for (const provider of providers) {
    if (seen.has(provider.code)) throw new ConfigError(`providers file ${file}: code ${provider.code} twice`);
    seen.add(provider.code);
    // A registry entry is what every --provider is checked against: it must itself be a real code.
    const problem = checkUscc(provider.code, { allowPilotCodes: true });
    if (problem)
      throw new ConfigError(
        `providers file ${file}: ${provider.name} code ${provider.code} is not a valid unified social credit code: ${problem.message}`,
      );
  }
  return providers;
}

/** A provider's name from the file, else its code (a department that delivered without being listed). */
export function providerName(providers: readonly Provider[], code: string): string {
  return providers.find((provider) => provider.code === code)?.name ?? code;
}

/** How a provider is shown in tables and letters: `济南市（11370100MB28174284）`, or the bare code when unregistered. */
export function providerLabel(providers: readonly Provider[], code: string): string {
  const name = providers.find((provider) => provider.code === code)?.name;
  return name ? `${name}（${code}）` : code;
}
