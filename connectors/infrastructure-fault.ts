/**
 * The one retry policy: which errors are infrastructure faults (the database, the network, a remote server)
 * rather than defects of the data or the configuration. An infrastructure fault is retried with backoff and is
 * never the file's fault: the delivery stays where it is and loads on a later attempt or run. Both the
 * transports' retries and the pipeline runner's ask this module.
 */

/** Node's network errors (and those of the SFTP/HTTP clients built on it): the other side may be back soon. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  // mysql2 (a MySQL/MariaDB 前置库): the server closed the connection, or stopped answering mid-packet.
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/**
 * mysql2 marks an error `fatal` when its connection is unusable afterwards. Those are the network's, except an
 * answer the server gave (`ER_*`: access denied) or a handshake it refused (`HANDSHAKE_*`: no SSL): configuration.
 */
const isLostMysqlConnection = (fatal: unknown, code: unknown): boolean =>
  fatal === true && !(typeof code === 'string' && /^(ER_|HANDSHAKE_)/.test(code));

/**
 * SQLSTATE classes and codes of a server in trouble, not of a bad statement: 08 connection exception,
 * 53 insufficient resources (disk full, out of memory, too many connections), 58 system error (I/O),
 * 57P01-57P03 shutdown / crash / cannot connect now (a restart), 40001/40P01 serialization failure and
 * deadlock, 55P03 lock not available (lock timeout).
 */
const SQLSTATE_CLASSES = new Set(['08', '53', '58']);
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '55P03']);

/**
 * node-postgres reports a connection that died under it without a SQLSTATE ("Connection terminated
 * unexpectedly", "Client has encountered a connection error and is not queryable"), and a server that did not
 * answer within a client's own `connectionTimeoutMillis` or `query_timeout` as "timeout expired" or "Query read
 * timeout"; knex's pool says it timed out acquiring a connection when the server does not answer. knex puts a
 * failed query's SQL in front of the driver's message (`select … - Connection terminated unexpectedly`), so the
 * message may also follow ` - `.
 */
const CONNECTION_MESSAGES =
  /(?:^|\s-\s)(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout expired|Query read timeout|Knex: Timeout acquiring a connection)/;

/**
 * Which side failed, for messages that tell the operator where to look. `worker`: the unit's worker thread ended
 * before it took the unit (it could not start on this machine): nothing of the file was read.
 */
/** `delivery`: the file itself was still being written while it loaded (its provider's copy, not its content). */
export type FaultSide = 'database' | 'network' | 'worker' | 'delivery';

const SIDE_FAULTS: Record<FaultSide, (unitName: string) => string> = {
  database: (unitName) => `the database connection failed while loading ${unitName}`,
  network: (unitName) => `the network failed while loading ${unitName}`,
  worker: (unitName) => `the unit's worker thread failed while loading ${unitName}`,
  delivery: (unitName) => `${unitName} was still being written while it loaded`,
};

/** The side an infrastructure fault came from, or undefined for any other error (data, configuration, bug). */
export function infrastructureFault(error: unknown, seen = new Set<unknown>()): FaultSide | undefined {
  if (typeof error !== 'object' || error === null || seen.has(error)) return undefined;
  seen.add(error);
  const { code, fatal, retryable, message, cause, errors } = error as {
    code?: unknown;
    fatal?: unknown;
    retryable?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  // An error that says so itself: RetryableError of the transports, InfrastructureFault of the loader.
  if (retryable === true) return (error as { side?: FaultSide }).side ?? 'network';
  if (typeof code === 'string') {
    if (SQLSTATES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && SQLSTATE_CLASSES.has(code.slice(0, 2))))
      return 'database';
    if (NETWORK_CODES.has(code)) return 'network';
  }
  if (isLostMysqlConnection(fatal, code)) return 'network';
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return 'database';
  // Wrapped errors (`cause`) and Node's AggregateError of a refused dual-stack connect (`errors`).
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const side = infrastructureFault(inner, seen);
    if (side) return side;
  }
  return undefined;
}

/** Worth another try after a pause: the database, the network or a remote server failed, not the data. */
export function isInfrastructureFault(error: unknown): boolean {
  return infrastructureFault(error) !== undefined;
}

/**
 * A unit stopped by an infrastructure fault: not recorded against the file, which stays where it was. The
 * message says so, for the operator and for the run's stored error.
 */
export class InfrastructureFault extends Error {
  override readonly name = 'InfrastructureFault';
  readonly retryable = true;
  constructor(
    readonly side: FaultSide,
    unitName: string,
    override readonly cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `${SIDE_FAULTS[side](unitName)} (not a fault of the file, which stays to be loaded again): ${reason}`,
    );
  }
}
