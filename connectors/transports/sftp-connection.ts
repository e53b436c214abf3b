import { createHash } from 'node:crypto';
import type SftpClient from 'ssh2-sftp-client';
import { FileDropFileError } from './file-drop/file-drop-port.ts';
import { RetryableError, type RetryPolicy, retryWithBackoff, TransportError } from './retry-with-backoff.ts';
import { readSecret } from './secret-from-env.ts';
import type { SftpTransportConfig } from './sftp-config.ts';

/** `SHA256:…` of a raw host key, the way OpenSSH prints fingerprints. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * One SFTP connection, re-opened on demand: every remote step runs through `run`, which retries with backoff
 * after a lost connection, a timeout or a refused connection, and gives up at once on a wrong host key or
 * wrong credentials (retrying those cannot help).
 */
export class SftpConnection {
  private client: SftpClient | undefined;
  private hostKeyMismatch = false;

  constructor(
    private readonly config: SftpTransportConfig,
    private readonly env: NodeJS.ProcessEnv,
    private readonly policy: RetryPolicy,
  ) {}

  run<T>(what: string, work: (client: SftpClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return retryWithBackoff(
      this.policy,
      async () => {
        const client = await this.open();
        try {
          return await work(client);
        } catch (error) {
          throw this.classify(error, what);
        }
      },
      { ...(signal ? { signal } : {}), onRetry: () => this.drop() },
    );
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private async open(): Promise<SftpClient> {
    if (this.client) return this.client;
    // ssh2 is loaded on the first connection: most runs never open one (CLI start-up time and memory).
    const { default: Client } = await import('ssh2-sftp-client');
    // The client's default global listeners console.log to stdout ("Global end listener: …"), which would
    // corrupt `run --json`; a lost connection is seen (and retried) through the failing call instead.
    const quiet = () => undefined;
    const client = new Client('credit-etl', { error: quiet, end: quiet, close: quiet });
    client.on('error', quiet);
    const expected = this.config.hostKeySha256.replace(/=+$/, '');
    this.hostKeyMismatch = false;
    const password = readSecret(this.config.password, this.env, 'sftp password');
    const privateKey = readSecret(this.config.privateKey, this.env, 'sftp private key');
    const passphrase = readSecret(this.config.passphrase, this.env, 'sftp key passphrase');
    try {
      await client.connect({
        host: this.config.host,
        port: this.config.port ?? 22,
        username: this.config.username,
        ...(password ? { password } : {}),
        ...(privateKey ? { privateKey } : {}),
        ...(passphrase ? { passphrase } : {}),
        readyTimeout: this.config.timeoutMs ?? 20_000,
        hostVerifier: (key: Buffer) => {
          this.hostKeyMismatch = hostKeyFingerprint(key) !== expected;
          return !this.hostKeyMismatch;
        },
      });
    } catch (error) {
      await client.end().catch(() => undefined);
      throw this.classify(error, `connect to ${this.config.host}`);
    }
    this.client = client;
    return client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private classify(error: unknown, what: string): Error {
    // Decided already: by the step itself (a stalled transfer, a full staging disk) or about one file (too large).
    if (
      error instanceof TransportError ||
      error instanceof RetryableError ||
      error instanceof FileDropFileError
    )
      return error;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    // This machine's disk, not the network: another try (or connection) cannot help, the operator must make room.
    if (code === 'ENOSPC' || code === 'EDQUOT')
      return new TransportError('staging-disk-full', `${what}: no room on this machine (${message})`);
    if (this.hostKeyMismatch) {
      return new TransportError(
        'host-key-mismatch',
        `${this.config.host}: the host key does not match the pinned fingerprint ${this.config.hostKeySha256}`,
      );
    }
    if ((error as { level?: string }).level === 'client-authentication' || /authentication/i.test(message)) {
      return new TransportError(
        'sftp-authentication',
        `${this.config.host}: login refused for ${this.config.username}`,
      );
    }
    if (code === 2 || /no such file/i.test(message)) {
      return new TransportError('remote-not-found', `${what}: ${message}`);
    }
    if (code === 3 || /permission denied/i.test(message)) {
      return new TransportError('remote-permission-denied', `${what}: ${message}`);
    }
    return new RetryableError('sftp-connection', `${what}: ${message}`);
  }
}
