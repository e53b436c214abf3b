import { readFileSync } from 'node:fs';
import { TransportError } from './retry-with-backoff.ts';

/**
 * A secret named by config, never held in it: `{ env: 'VAR' }` reads the variable, `{ fileEnv: 'VAR' }` reads
 * the file whose path the variable holds (Docker/Kubernetes secrets). Undefined when no reference is given.
 */
export interface SecretRef {
  env?: string;
  fileEnv?: string;
}

export const SECRET_REF_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    fileEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  },
  minProperties: 1,
  maxProperties: 1,
} as const;

export function readSecret(
  ref: SecretRef | undefined,
  env: NodeJS.ProcessEnv,
  what: string,
): string | undefined {
  if (!ref) return undefined;
  if (ref.env) {
    const value = env[ref.env];
    if (!value)
      throw new TransportError('missing-secret', `${what}: environment variable ${ref.env} is not set`);
    return value;
  }
  if (ref.fileEnv) {
    const file = env[ref.fileEnv];
    if (!file) {
      throw new TransportError('missing-secret', `${what}: environment variable ${ref.fileEnv} is not set`);
    }
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new TransportError(
        'missing-secret',
        `${what}: cannot read the file named by ${ref.fileEnv}: ${(error as Error).message}`,
      );
    }
  }
  return undefined;
}
