/**
 * The procedure log's types and reader live in src/warehouse/procedure-log-repository.ts; re-exported here
 * only for src/records (record-history.ts, record-view.ts), which moves into src/warehouse in the records
 * follow-up of issue 14 and then imports them from there. Delete this file then.
 */
export {
  PROCEDURE_KINDS,
  type ProcedureEntry,
  type ProcedureFilter,
  type ProcedureKind,
  type ProcedureState,
  procedureEntries,
} from '../warehouse/procedure-log-repository.ts';
