/**
 * The warehouse's database roles (migrations/010-roles.ts creates them, NOLOGIN, cluster-wide). A person or a
 * process logs in as a LOGIN user of its own that is a member of the role of its duty; the engine's connections
 * then `SET ROLE` to the loader, so what the engine may do is decided by the database, not by the code.
 */
export const WAREHOUSE_ROLES = {
  /** What the engine runs as: appends history, moves a record only to a newer version of itself. */
  loader: 'credit_etl_loader',
  /** Owner of the legal-procedure functions (SECURITY DEFINER): the only role the history guards let through. */
  procedure: 'credit_etl_procedure',
  /** May execute the legal-procedure functions (granted per function) and read. */
  officer: 'credit_etl_officer',
  /** Reads only: the web console, auditors. */
  reader: 'credit_etl_reader',
} as const;

export type WarehouseRole = (typeof WAREHOUSE_ROLES)[keyof typeof WAREHOUSE_ROLES];
