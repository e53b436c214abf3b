/**
 * The end of a day (YYYY-MM-DD, Asia/Shanghai) as a bound for rows the database stamped with its clock: what a
 * query of a day's state starts with (`as_of.bound`; its one binding is the day, or null for now).
 */
export const AS_OF = `WITH as_of AS (SELECT (?::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai' AS bound)`;

/** AS_OF for a query that goes on with a recursive WITH query of its own (`${AS_OF_RECURSIVE}, chain AS (…)`). */
export const AS_OF_RECURSIVE = AS_OF.replace(/^WITH /, 'WITH RECURSIVE ');

/**
 * A record's status at the end of the day (the query starts with AS_OF, `r` is the record): a procedure performed
 * later had not yet withdrawn or superseded it. A status never returns to current (012), so the procedure that
 * set the present one tells.
 */
export const STATUS_THEN = `CASE WHEN r.status <> 'current' AND (SELECT sp.performed_at FROM procedure_log sp
                                                            WHERE sp.id = r.status_procedure_id) >= as_of.bound
                          THEN 'current' ELSE r.status END`;

/**
 * The version current at the end of the day (a lateral join, `r` the record): the newest one written by then, by a
 * delivery or a procedure (a record's current version only ever moves to a newer one: 011, 031). A record with no
 * version by then (delivered later, or made by a later procedure: reattribute's new record) has none: it was not
 * in the warehouse that day, so nothing of it was shown (its predecessor, still current then, was).
 */
export const VERSION_THEN = `LATERAL (SELECT v.* FROM record_versions v WHERE v.record_id = r.id AND v.created_at < as_of.bound
                             ORDER BY v.version_no DESC LIMIT 1) v`;
