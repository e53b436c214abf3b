import path from 'node:path';
import ts from 'typescript';

/**
 * The layering rules CI enforces (issue 14): src/warehouse/ is the only code that runs SQL against the
 * warehouse, and connectors/ sit behind ports the engine passes in, never importing src/.
 */
export type LayerRule = 'sql-outside-warehouse' | 'query-builder-outside-warehouse' | 'connectors-import-src';

export interface LayerViolation {
  file: string;
  line: number;
  rule: LayerRule;
  detail: string;
}

export interface SourceFile {
  /** Relative to the project root, with `/` separators. */
  path: string;
  text: string;
}

/**
 * Files allowed to run SQL outside src/warehouse/, each with why: none today. An entry that no longer breaks a
 * rule fails the check, so the list can only shrink.
 */
export const ALLOWLIST: Readonly<Record<string, string>> = {};

/** Where SQL belongs: the warehouse layer and the schema's migrations. */
const SQL_HOMES = ['src/warehouse/', 'migrations/'];

/**
 * Test and bench code is exempt: fixtures create databases and tamper with tables as a superuser on purpose
 * (that is what proves the warehouse refuses silent rewrites), and the bench measures raw COPY against ours.
 */
const isHarness = (file: string) =>
  file.startsWith('test/') ||
  file.startsWith('bench/') ||
  file.startsWith('scripts/') ||
  /\.test(-support)?\.ts$/.test(file);

/**
 * A SQL statement, not English prose: a keyword followed by what SQL puts after it (`SELECT … FROM`,
 * `INSERT INTO t`, `UPDATE t SET`, `CREATE TABLE`, `COPY t FROM STDIN`, …). The code writes SQL keywords in
 * upper case, and upper-case keywords are matched loosely; lower-case SQL is matched only with the shape no
 * sentence has (`insert into t (`, `update t set c =`, `delete from t where`), so messages like "select a
 * pipeline from the list" or "the copy recorded earlier" pass.
 */
const SQL_STATEMENTS: readonly RegExp[] = [
  /\bSELECT\b[\s\S]*?\bFROM\b/,
  /\bSELECT\s+\w+\s*\(/,
  /\bselect\s+(?:distinct\b|count\s*\(|\*\s)/i,
  /\bselect\s+[\w.*, ()]+?\s+from\s+\w+\s+where\b/i,
  /\bINSERT\s+INTO\b/,
  /\binsert\s+into\s+\w+\s*(?:\(|values\b|select\b)/i,
  /\bUPDATE\s+\w+(?:\s+\w+)?\s+SET\b/,
  /\bupdate\s+\w+(?:\s+\w+)?\s+set\s+\w+\s*=/i,
  /\bDELETE\s+FROM\b/,
  /\bdelete\s+from\s+\w+\s+where\b/i,
  /\b(?:CREATE|DROP)\s+(?:TEMP\s+|TEMPORARY\s+|UNIQUE\s+|OR\s+REPLACE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER|FUNCTION|DATABASE|ROLE|SCHEMA|SEQUENCE|EXTENSION)\b/,
  /\bcreate\s+(?:temp\s+|temporary\s+)?table\s+\w+\s*\(/i,
  /\bALTER\s+(?:TABLE|DATABASE|ROLE|SCHEMA|SEQUENCE)\b/,
  /\bTRUNCATE\b/,
  /\bCOPY\s+\w+\s*(?:\(|FROM\s+STDIN|TO\s+STDOUT)/,
  /\bWITH\s+\w+\s+AS\s*\(/,
  /\bON\s+CONFLICT\b/,
  /\bSET\s+LOCAL\b/,
];

/** knex's raw-SQL methods: SQL by another name. */
const RAW_METHODS = new Set([
  'raw',
  'whereRaw',
  'orWhereRaw',
  'andWhereRaw',
  'havingRaw',
  'orHavingRaw',
  'joinRaw',
  'orderByRaw',
  'groupByRaw',
  'fromRaw',
]);

/** The names the warehouse handle goes by: `warehouse('runs')`, `trx('notices')` are queries. */
const HANDLE_NAMES = /^(?:warehouse|trx|tx|db|knex)$/;

/** Packages only the warehouse layer may import (STYLE.md 9: ports for vendors). */
const DATABASE_PACKAGES = new Set(['knex', 'pg', 'pg-copy-streams']);

export function findLayerViolations(files: readonly SourceFile[]): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const file of files) {
    if (!/\.(?:ts|js|mjs)$/.test(file.path)) continue;
    const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
    const report = (node: ts.Node, rule: LayerRule, detail: string) => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      violations.push({ file: file.path, line: line + 1, rule, detail });
    };
    const checksSql =
      !SQL_HOMES.some((home) => file.path.startsWith(home)) &&
      !isHarness(file.path) &&
      (file.path.startsWith('src/') || file.path.startsWith('connectors/') || file.path.startsWith('bin/'));
    // connectors/ reads a 前置库 through its own knex connection: that is the transport's job, not the
    // warehouse's, so the query-builder rule applies to the engine (src/) only.
    const checksBuilder = checksSql && file.path.startsWith('src/');
    const checksImports = file.path.startsWith('connectors/');
    const visit = (node: ts.Node): void => {
      if (checksSql) {
        const text = literalText(node);
        if (text !== undefined && SQL_STATEMENTS.some((pattern) => pattern.test(text)))
          report(node, 'sql-outside-warehouse', excerpt(text));
      }
      if (checksBuilder) builderUse(node, report);
      if (checksImports) {
        const specifier = importSpecifier(node);
        if (specifier?.startsWith('.')) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
          if (target.startsWith('src/')) report(node, 'connectors-import-src', specifier);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return violations;
}

/** A string or template literal's text (a template's substitutions stand as `x`). */
function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node))
    return node.head.text + node.templateSpans.map((span) => ` x ${span.literal.text}`).join('');
  return undefined;
}

/** knex used directly: a raw-SQL method, a `warehouse('table')` query, or an import of a database driver. */
function builderUse(node: ts.Node, report: (node: ts.Node, rule: LayerRule, detail: string) => void): void {
  const rule = 'query-builder-outside-warehouse';
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    if (ts.isPropertyAccessExpression(callee) && RAW_METHODS.has(callee.name.text))
      report(node, rule, `.${callee.name.text}(…)`);
    const name = ts.isIdentifier(callee)
      ? callee.text
      : ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : undefined;
    const [first] = node.arguments;
    if (name && HANDLE_NAMES.test(name) && first && ts.isStringLiteralLike(first))
      report(node, rule, `${name}('${first.text}')`);
  }
  const specifier = importSpecifier(node);
  if (specifier && DATABASE_PACKAGES.has(specifier)) report(node, rule, `import '${specifier}'`);
}

/** The module an import, re-export or dynamic import names. */
function importSpecifier(node: ts.Node): string | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier)
    return ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : undefined;
  if (
    ts.isCallExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ImportKeyword &&
    node.arguments[0] &&
    ts.isStringLiteralLike(node.arguments[0])
  )
    return node.arguments[0].text;
  return undefined;
}

function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

/** Violations not covered by the allowlist, and allowlist entries that no longer break any rule. */
export function judge(violations: readonly LayerViolation[]): {
  failures: LayerViolation[];
  staleAllowlist: string[];
} {
  const failures = violations.filter((violation) => !(violation.file in ALLOWLIST));
  const offending = new Set(violations.map((violation) => violation.file));
  const staleAllowlist = Object.keys(ALLOWLIST).filter((file) => !offending.has(file));
  return { failures, staleAllowlist };
}
