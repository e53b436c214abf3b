import type { IntegrityCounts, IntegrityScope } from '../warehouse/integrity-repository.ts';

/** What verify found wrong, each with a stable kebab-case code (README "Data integrity"). */
export const INTEGRITY_PROBLEMS = {
  /** The version's stored chain hash is not the hash of its row and the previous version's chain hash. */
  'chain-broken': 'version content or chain hash altered',
  /** A version number is missing before this one: a version was deleted. */
  'version-missing': 'a version before this one is missing',
  /** A version whose record is gone. */
  'record-missing': 'the version has no record',
  /** A record without any version. */
  'no-versions': 'the record has no version',
  /** `records.current_version_id` is not a version of this record. */
  'current-not-own-version': 'the current version is not a version of this record',
  /** The current version is not the highest, and no legal procedure says why. */
  'current-not-latest': 'the current version is not the latest and no procedure explains it',
  /** `records.subject_code` differs from the subject the current version was filed under. */
  'subject-differs': "the record's subject differs from its current version's",
  /**
   * `records.business_key` is not the key the catalog entry version of the current version computes from its data,
   * or `records.catalog_code` is not the catalog the current version came in under (verify-keys.ts).
   */
  'key-differs': "the record's business key or catalog differs from what its current version gives",
  /**
   * The current version's stored content hash is not the hash its catalog entry version computes from its data
   * (verify-keys.ts): re-deliveries are compared with it, so a wrong one passes changed content as `unchanged`, or
   * the same content as a change. The chain covers the stored hash, not whether it is the data's.
   */
  'content-hash-differs': "the current version's content hash differs from what its data gives",
  /**
   * `records.level` ranks below a channel whose accepted lineage delivered the current version: a merge raises
   * the level, nothing lowers it (verify-keys.ts). Lowered, a lower channel's conflicts would pass as updates.
   */
  'level-below-delivery': "the record's level is below a channel that delivered its current version",
  /**
   * The current version's data fails the checks of the catalog entry version it was stored under, which every
   * delivered row passes (the same validator as a load: a value outside a code list, a negative amount, a day that
   * is none), or holds a field that entry version lacks (version-data.ts): a procedure function stores what its
   * caller hands it.
   */
  'data-invalid': "the current version's data fails its catalog entry version's checks",
  /**
   * The subject the current version was filed under (and the record with it) is not the one its data gives: a
   * record moved into another subject's archive other than by `reattribute`, which changes the data with it.
   */
  'version-subject-differs': "the current version's subject differs from what its data gives",
  /** The current version's formation date (which disclosure periods count from) is not the one its data gives. */
  'formation-date-differs': "the current version's formation date differs from what its data gives",
  /**
   * The current version was stored under a catalog entry version catalog/ does not hold: nothing about it can be
   * checked, and unless the warehouse recorded that version (catalog_entries), nothing the engine stores is under it.
   */
  'catalog-version-unknown': "the current version's catalog entry version is not in the catalog",
  /**
   * An entry version in catalog/ whose content differs from the copy the warehouse recorded first (catalog_entries):
   * edited in place, so verify recomputes keys and repairs, and the engine discloses, by other rules than the
   * records were stored under (verify-catalog-copies.ts). Reported first; the record is null, the entry named.
   */
  'catalog-copy-edited': 'a catalog entry version differs from the copy the warehouse first recorded',
  /** `records.created_at` is not when its version 1 was written (both are set in one transaction). */
  'created-differs': "the record's creation time differs from its first version's",
  /**
   * A version that names a source file (not a procedure) but has no lineage row of that file and row that created
   * it: every delivered version has one, so this one was added behind the engine, outside every file's digest.
   */
  'version-without-lineage': 'a delivered version has no lineage row of its file: added behind the engine',
  /** A loaded file's digest differs from what its lineage and versions hash to now. */
  'file-digest-differs': 'what the file added no longer matches its digest',
  /**
   * A file loaded since migration 043 whose second digest (`digest_v2`) differs from what it hashes to now: the
   * file's delivery (provider, level, received time, run, name, catalog), its lineage rows with their record and
   * version ids, channel and conflict data, its compact summary, its rejections (row number, raw row, errors:
   * field, code, value) or its v1 digest was changed behind the engine.
   */
  'file-delivery-differs':
    "the file's row (provider, run, sha256, counts…), lineage ids or rejections no longer match its digest",
  /** A procedure_log entry whose content no longer matches its hash (src/warehouse/procedure-log-chain.ts). */
  'procedure-log-altered': 'a legal procedure log entry was changed',
  /** A procedure_log entry that does not point at the entry before it: one was removed or inserted. */
  'procedure-log-broken-link': 'a legal procedure log entry was removed, inserted or reordered',
  /** A record withdrawn or superseded with no logged procedure that did so. */
  'procedure-missing': 'the record was retired without a logged legal procedure',
  /** A record a logged procedure retired is current again (or retired by another entry). */
  'procedure-undone': 'a logged legal procedure was undone',
  /**
   * A credit repair performed before the first day its minimum disclosure period allows, of an entry that allows no
   * repair, or logged with another repairable day than the catalog gives (verify-repairs.ts).
   */
  'repair-before-period': 'a credit repair the catalog rules did not allow on the day it was made',
  /**
   * A credit repair made before the first day the record's version now in force may be repaired: a later delivery
   * or correction raised the severity (轻微 → 严重), so the repair no longer stops its disclosure (disclosure-state.ts,
   * verify-repairs.ts). Nothing was altered: reported, not counted as tampering, the run does not fail; the record
   * is shown again, and may be repaired anew only by a procedure the engine does not offer yet.
   */
  'repair-predates-severity': 'a credit repair made before the severity now in force allows one',
  /**
   * A correct/reattribute entry whose version is gone, or the version an entry of any kind names as the record's
   * current one then (`before.version_id`, a supersede's `after.superseded_by_version_id`) is gone
   * (verify-procedure-versions.ts).
   */
  'procedure-version-missing': 'a version a legal procedure wrote or named is missing',
  /**
   * A version that claims a procedure which wrote no version of this record, or a correct/reattribute entry whose
   * log names another version than this one.
   */
  'version-without-procedure': 'a version claims a legal procedure that did not write it',
  /**
   * A version a correct/reattribute wrote that differs from what its procedure_log entry recorded (`after`: version
   * id and number, content hash, subject, formation date, catalog entry version, the fields it set, and every other
   * field as in the version it was based on), or a version an entry names (`before`) that differs from what it
   * logged of it (verify-procedure-versions.ts): rewritten behind the engine, its chain hash recomputed. No file
   * digest covers a procedure's version; the hash-chained log does.
   */
  'version-differs-from-procedure': "a version differs from what its legal procedure's log entry recorded",
  /** An objection_log step whose content no longer matches its hash (src/warehouse/objection-log-chain.ts). */
  'objection-log-altered': 'an objection log step was changed',
  /** An objection_log step that does not point at the step before it. */
  'objection-log-broken-link': 'an objection log step was removed, inserted or reordered',
  /** The newest entry of a legal log an earlier verify run saw is gone: the log was cut back (verify-log-heads.ts). */
  'log-cut-back': 'the newest entry of a legal log that an earlier verify saw is gone',
  /**
   * A legal log holds fewer entries up to the newest one an earlier verify run saw than that run counted: entries
   * were deleted behind the engine, though what is left may still chain (verify-log-heads.ts).
   */
  'log-entries-deleted': 'entries of a legal log that an earlier verify counted are gone',
  /**
   * A legal log's entry that an earlier verify run saw as the newest holds another hash now: rewritten behind the
   * engine with its hash recomputed, which its chain cannot show while no entry links to it (verify-log-heads.ts).
   */
  'log-head-rewritten': 'the newest entry of a legal log that an earlier verify saw was rewritten',
  /**
   * An objection_log step whose objection is gone (deleted with the triggers off): the record is named by what
   * the objection's open step registered (src/warehouse/objection-log-chain.ts).
   */
  'objection-missing': 'an objection log step whose objection was deleted',
  /**
   * A settled lineage row whose `late` / `working_days`, a settled review-notice deadline or a settled objection due
   * date differs from what the working-day calendar (config/holidays.json) gives for its stored inputs, counted by
   * the engine's own functions (verify-timeliness.ts): it was settled wrongly, or the calendar changed since. Also a
   * lineage row formed after the day it was received (loaded before the loader rejected such a row): no count.
   */
  'timeliness-differs':
    'a settled timeliness flag or working-day date differs from what the holiday calendar gives',
  /**
   * An objection whose platform check is still open with a due date (Art. 18: 3 working days from receipt) that is not
   * what the working-day calendar gives from its receipt, or a verification notice whose answer deadline is not what
   * it gives from the notice's issue day and working days; a provisional one, not what the provisional rule gives
   * (verify-objection-dues.ts). The database stores its caller's date: written wrongly, or the holiday file changed.
   */
  'objection-due-differs':
    "an open objection's due date or notice deadline differs from what the holiday calendar gives",
  /** An objection (received, due date, applicant…) that differs from what its open step recorded. */
  'objection-differs-from-log': 'an objection was changed after it was registered',
} as const;
export type IntegrityProblem = keyof typeof INTEGRITY_PROBLEMS;

/** A record (or one of its versions) whose history was altered behind the engine's back. */
export interface RecordFinding {
  /** null only for an objection log step whose objection and opening step are both gone (nothing names the record). */
  recordId: number | null;
  catalogCode: string | null;
  businessKey: string | null;
  /** The entry version the record's current version was stored under, where the check read it: its key follows it. */
  catalogVersion?: number | null;
  versionNo: number | null;
  problem: IntegrityProblem;
  detail: string;
}

/** A source file whose digest no longer fits what it added. */
export interface FileFinding {
  sourceFileId: number;
  name: string;
  catalogCode: string;
  problem: IntegrityProblem;
  detail: string;
}

/** The scope of a verify run: one catalog entry, and/or what was written on or after a day (Asia/Shanghai). */
export type VerifyScope = IntegrityScope;

/** What a verify run looked at and what it found; stored as the run's counts. */
export type { IntegrityCounts };
