/**
 * The database's own refusals: what a function or trigger RAISEs (P0001, P0002 no_data_found, 23xxx integrity
 * constraints: the legal procedures' and the objection log's Chinese messages) and a missing privilege (42501).
 * The officer is told the message, exit 2, nothing changed.
 */
const REFUSALS = (code: string) =>
  code === '42501' || code === 'P0001' || code === 'P0002' || code.startsWith('23');

/**
 * The database's message of a refusal, without the statement knex puts before it (`<statement> - <message>`:
 * a procedure's `SELECT procedure_correct($1, …, $11) AS id - 更正不能改变…`, a step's `insert into … - 异议 8 …`);
 * undefined for any other error (a lost connection, a bug), which is no refusal and is thrown on as it is.
 */
export function databaseRefusal(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string' || !REFUSALS(code)) return undefined;
  return withoutStatement(message);
}

/**
 * knex prefixes a failed query's message with its statement and ` - ` (knex/lib/execution/internal/
 * query-executioner.js); pg keeps no copy of the message alone. The statements a refusal comes from (a procedure
 * function's call, a builder's insert or update) hold no ` - `, and the message may: cut at the first.
 */
function withoutStatement(message: string): string {
  return message.replace(/^(?:select|insert|update|delete|with|set|call|do)\s[\s\S]*? - /i, '');
}
