import { describe, expect, it } from 'vitest';
import { ALLOWLIST, findLayerViolations, judge, type SourceFile } from './layer-rules.ts';

/** A template substitution inside planted source text. */
const PLACEHOLDER = '$' + '{table}';

const rulesBroken = (files: SourceFile[]) =>
  findLayerViolations(files).map((violation) => [violation.file, violation.line, violation.rule]);

describe('the layer check', () => {
  it('flags SQL in a string or template literal outside src/warehouse/, with its file and line', () => {
    const planted: SourceFile = {
      path: 'src/report/planted.ts',
      text: [
        "export const rows = 'SELECT id FROM runs';",
        'export const write = (table: string) =>',
        `  \`UPDATE ${PLACEHOLDER} SET status = $1 WHERE id = $2\`;`,
        "export const ddl = 'CREATE TEMP TABLE stage (n int)';",
      ].join('\n'),
    };
    expect(rulesBroken([planted])).toEqual([
      ['src/report/planted.ts', 1, 'sql-outside-warehouse'],
      ['src/report/planted.ts', 3, 'sql-outside-warehouse'],
      ['src/report/planted.ts', 4, 'sql-outside-warehouse'],
    ]);
  });

  it('flags knex used directly in the engine: a table query, a raw method, a driver import', () => {
    const planted: SourceFile = {
      path: 'src/cli/commands/planted-command.ts',
      text: [
        "import pg from 'pg';",
        "export const runs = (warehouse: any) => warehouse('runs').where({ id: 1 });",
        "export const now = (warehouse: any) => warehouse.raw('now()');",
      ].join('\n'),
    };
    expect(rulesBroken([planted])).toEqual([
      ['src/cli/commands/planted-command.ts', 1, 'query-builder-outside-warehouse'],
      ['src/cli/commands/planted-command.ts', 2, 'query-builder-outside-warehouse'],
      ['src/cli/commands/planted-command.ts', 3, 'query-builder-outside-warehouse'],
    ]);
  });

  it('flags a connector importing src/, and lets it import its own contracts', () => {
    const planted: SourceFile = {
      path: 'connectors/transports/planted-transport.ts',
      text: [
        "import type { WatermarkStore } from '../contracts.ts';",
        "import { readWatermark } from '../../src/warehouse/watermarks-repository.ts';",
        "export const later = () => import('../../src/run/load-unit.ts');",
      ].join('\n'),
    };
    expect(rulesBroken([planted])).toEqual([
      ['connectors/transports/planted-transport.ts', 2, 'connectors-import-src'],
      ['connectors/transports/planted-transport.ts', 3, 'connectors-import-src'],
    ]);
  });

  it('lets SQL be in the warehouse layer and migrations, and English prose anywhere', () => {
    const sql = "export const q = 'SELECT id FROM runs WHERE status = $1';";
    const prose = [
      "export const a = 'select a pipeline from the list, then run it';",
      "export const b = 'the copy recorded earlier differs: update the catalog and set a new version';",
      "export const c = 'delete from disk what was archived';",
      `export const d = \`insert into the drop folder a file named ${PLACEHOLDER}\`;`,
    ].join('\n');
    expect(
      rulesBroken([
        { path: 'src/warehouse/runs-repository.ts', text: sql },
        { path: 'migrations/010-planted.ts', text: sql },
        { path: 'src/cli/prose.ts', text: prose },
      ]),
    ).toEqual([]);
  });

  it('fails on a file off the allowlist, and on an allowlist entry that breaks no rule any more', () => {
    const [allowed] = Object.keys(ALLOWLIST);
    const violations = findLayerViolations([
      { path: allowed!, text: "export const q = 'DELETE FROM stage';" },
      { path: 'src/run/planted.ts', text: "export const q = 'DELETE FROM stage';" },
    ]);
    const { failures, staleAllowlist } = judge(violations);
    expect(failures.map((failure) => failure.file)).toEqual(['src/run/planted.ts']);
    expect(staleAllowlist).toEqual(Object.keys(ALLOWLIST).slice(1));
  });
});
