import { MAX_FILE_BYTES_SCHEMA } from './file-size-limit.ts';
import { RETRY_SCHEMA, type RetryPolicy } from './retry-with-backoff.ts';
import { SECRET_REF_SCHEMA, type SecretRef } from './secret-from-env.ts';

/** `transport` section of a pipeline that picks up files from an SFTP drop (数据文件). */
export interface SftpTransportConfig {
  type: 'sftp';
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  /** Password: `{ env: 'VAR' }` or `{ fileEnv: 'VAR' }` (a file named by the variable); never the value itself. */
  password?: SecretRef;
  /** Private key (OpenSSH/PEM text), from the environment the same way. */
  privateKey?: SecretRef;
  passphrase?: SecretRef;
  /** The server's host key fingerprint as `ssh-keygen -lf` prints it: `SHA256:…`. Connections to any other key fail. */
  hostKeySha256: string;
  /** Remote directory holding the drops. */
  remoteDir: string;
  /** Which file names to take (picomatch). Default `*.csv`. */
  glob?: string;
  /**
   * When a file is complete: `{ marker: '.done' }` = when `<name>.done` exists beside it, is no older than the
   * file, and the file's size and time are unchanged across two listings `stableForMs` apart (default 2000);
   * `{ stableForMs }` = when its size and time are unchanged across two listings that far apart. Default
   * `{ stableForMs: 10000 }`.
   */
  completeness?: { marker: string; stableForMs?: number } | { stableForMs: number };
  /** Where loaded files go (relative to remoteDir, or absolute). Default `processed`. Files are never deleted. */
  processedDir?: string;
  /** Where files that failed to load go. Default `failed`. */
  failedDir?: string;
  retry?: Partial<RetryPolicy>;
  /** Connection set-up, and the longest a download may stall, in ms. Default 20000. */
  timeoutMs?: number;
  /**
   * The largest file downloaded, in bytes: checked on the listed size, then while streaming. A file over it fails
   * alone as `file-too-large` (moved to `failed/`). Default `DEFAULT_MAX_FILE_BYTES` (file-size-limit.ts).
   */
  maxFileBytes?: number;
}

const REMOTE_DIR = { type: 'string', minLength: 1, pattern: '^[^\\u0000-\\u001f]+$' } as const;

export const SFTP_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'host', 'username', 'hostKeySha256', 'remoteDir'],
  properties: {
    type: { const: 'sftp' },
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    username: { type: 'string', minLength: 1 },
    password: SECRET_REF_SCHEMA,
    privateKey: SECRET_REF_SCHEMA,
    passphrase: SECRET_REF_SCHEMA,
    hostKeySha256: { type: 'string', pattern: '^SHA256:[A-Za-z0-9+/]{43}=?$' },
    remoteDir: REMOTE_DIR,
    glob: { type: 'string', minLength: 1 },
    completeness: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['marker'],
          properties: {
            marker: { type: 'string', pattern: '^\\.[A-Za-z0-9_.-]+$' },
            stableForMs: { type: 'integer', minimum: 0 },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['stableForMs'],
          properties: { stableForMs: { type: 'integer', minimum: 0 } },
        },
      ],
    },
    processedDir: REMOTE_DIR,
    failedDir: REMOTE_DIR,
    retry: RETRY_SCHEMA,
    timeoutMs: { type: 'integer', minimum: 100 },
    maxFileBytes: MAX_FILE_BYTES_SCHEMA,
  },
  anyOf: [{ required: ['password'] }, { required: ['privateKey'] }],
} as const;
