/**
 * The end of a day (YYYY-MM-DD, Asia/Shanghai) as a bound for rows the database stamped with its clock: what a
 * query of a day's state starts with (`as_of.bound`; its one binding is the day, or null for now).
 */
export const AS_OF = `WITH as_of AS (SELECT (?::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai' AS bound)`;
