/**
 * Each objection's state as of a day, read from its log in SQL (objections-repository.ts selects from it): the
 * stage in progress, the last result and what carried it out, the due date as settled.
 */

/**
 * A day's state is read at the end of the day given (AS_OF; now when it is null). Steps are stamped with the
 * clock (033), so the state of a past day is the steps performed before its end; but an objection is open from
 * its receipt (`received_on`), however late it was registered: its opening step counts whenever it was performed.
 */
const BEFORE_BOUND = (step: string) =>
  `(as_of.bound IS NULL OR ${step}.action = 'open' OR ${step}.performed_at < as_of.bound)`;

/**
 * The due date as settled (038): `calendar recompute`'s note step (`detail.due = 'settled'`) replaces a
 * provisional `due_on`; the objection row itself never changes. It is the law's date, only known later, so it
 * counts on any day, whenever the recompute ran. `o` is the objection.
 */
const DUE = `LEFT JOIN LATERAL (SELECT (l.detail->>'dueOn')::date AS due_on FROM objection_log l
                     WHERE l.objection_id = o.id AND l.action = 'note' AND l.detail->>'due' = 'settled'
                     ORDER BY l.id LIMIT 1) settled ON true`;

/**
 * The last step of each objection that is not a note: its stage, whether it is in progress, and the day that stage
 * began (`stage_since`: the receipt for the platform's check; for an appeal, review or lawsuit the day, Asia/Shanghai,
 * its `appeal` step was recorded, in progress or decided since: each stage happens at most once); the last decided
 * step: its result and what carried it out; its due date as settled (DUE); as of `as_of` (the query starts with
 * AS_OF).
 */
export const STATE = `
  SELECT o.id, o.record_id, o.catalog_code, o.channel, o.provider_code, o.applicant, o.reason, o.received_on,
         coalesce(settled.due_on, o.due_on) AS due_on, o.due_provisional AND settled.due_on IS NULL AS due_provisional,
         o.created_at, s.stage, s.action IN ('open', 'appeal') AS in_progress,
         CASE WHEN s.stage = 'open' THEN o.received_on
              ELSE (SELECT (a.performed_at AT TIME ZONE 'Asia/Shanghai')::date FROM objection_log a
                    WHERE a.objection_id = o.id AND a.action = 'appeal' AND a.stage = s.stage
                    ORDER BY a.id LIMIT 1) END AS stage_since,
         d.result AS last_result,
         d.procedure_id AS last_procedure_id, d.version_id AS last_version_id, d.version_no AS last_version_no,
         (SELECT c.performed_at FROM objection_log c WHERE c.objection_id = o.id AND c.action = 'close'
            AND ${BEFORE_BOUND('c')}) AS checked_at
  FROM objections o
  CROSS JOIN as_of
  JOIN LATERAL (SELECT l.action, l.stage, l.performed_at FROM objection_log l WHERE l.objection_id = o.id AND l.action <> 'note'
                  AND ${BEFORE_BOUND('l')} ORDER BY l.id DESC LIMIT 1) s ON true
  LEFT JOIN LATERAL (SELECT l.result, l.procedure_id, l.version_id, v.version_no
                     FROM objection_log l LEFT JOIN record_versions v ON v.id = l.version_id
                     WHERE l.objection_id = o.id AND l.result IS NOT NULL AND ${BEFORE_BOUND('l')}
                     ORDER BY l.id DESC LIMIT 1) d ON true
  ${DUE}`;
