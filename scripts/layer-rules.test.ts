import { describe, expect, it } from 'vitest';
import { folderEdges, judgeFolderCycles } from './folder-cycle-rules.ts';
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

describe('the folder-cycle rule of the layer check', () => {
  const planted = (path: string, ...imports: string[]): SourceFile => ({
    path,
    text: imports.map((from, i) => `import { x${i} } from '${from}';`).join('\n'),
  });

  it('fails on two folders that import each other, naming each import of the cycle', () => {
    const edges = folderEdges([
      planted('src/alpha/a.ts', '../beta/b.ts'),
      planted('src/beta/b.ts', '../alpha/a.ts', '../gamma/c.ts'),
      planted('src/gamma/c.ts'),
    ]);
    const { cycles } = judgeFolderCycles(edges, {});
    expect(cycles.map((cycle) => cycle.folders)).toEqual([['src/alpha', 'src/beta']]);
    expect(cycles[0]?.edges.map((edge) => edge.example)).toEqual([
      'src/alpha/a.ts imports ../beta/b.ts',
      'src/beta/b.ts imports ../alpha/a.ts',
    ]);
  });

  it('ignores tests and a folder importing its own subfolder; passes imports that go one way', () => {
    const edges = folderEdges([
      planted('src/alpha/a.ts', './inner/deep.ts', '../beta/b.ts'),
      planted('src/alpha/inner/deep.ts', '../../beta/b.ts'),
      planted('src/beta/b.ts'),
      planted('src/beta/b.test.ts', '../alpha/a.ts'),
    ]);
    expect(judgeFolderCycles(edges, {})).toEqual({ cycles: [], staleKnown: [] });
  });

  it('sets a known edge aside, and fails on a known edge that no longer occurs', () => {
    const edges = folderEdges([
      planted('src/alpha/a.ts', '../beta/b.ts'),
      planted('src/beta/b.ts', '../alpha/a.ts'),
    ]);
    const known = { 'src/beta → src/alpha': 'being undone', 'src/gone → src/alpha': 'undone already' };
    expect(judgeFolderCycles(edges, known)).toEqual({ cycles: [], staleKnown: ['src/gone → src/alpha'] });
  });
});
