/**
 * The layer check (npm run check:layers, run by `npm run lint` and so by CI), two rule sets over the same files:
 * - layer-rules.ts: SQL and the query builder only in src/warehouse/ and migrations/; connectors/ never
 *   importing src/ (with its allowlist);
 * - folder-cycle-rules.ts: no import cycles between the folders of src/ and connectors/ (with its known list).
 * Exits 1 naming each file, line or import that breaks a rule, and each list entry that is no longer needed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderEdges, judgeFolderCycles } from './folder-cycle-rules.ts';
import { findLayerViolations, judge } from './layer-rules.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const paths = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.js'],
  {
    cwd: root,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((file) => file !== '' && !file.startsWith('node_modules/'));
const files = paths.map((file) => ({ path: file, text: readFileSync(path.join(root, file), 'utf8') }));
let failed = false;

const { failures, staleAllowlist } = judge(findLayerViolations(files));
for (const failure of failures) {
  console.error(`${failure.file}:${failure.line}: ${failure.rule}: ${failure.detail}`);
}
for (const file of staleAllowlist) {
  console.error(
    `${file}: on the layer allowlist but breaks no rule any more: take it off (scripts/layer-rules.ts)`,
  );
}
if (failures.length > 0 || staleAllowlist.length > 0) {
  console.error(
    'SQL belongs in src/warehouse/ (a repository per aggregate); connectors/ get ports from the engine, never src/ imports',
  );
  failed = true;
}

const { cycles, staleKnown } = judgeFolderCycles(folderEdges(files));
for (const known of staleKnown) {
  console.error(
    `folder-cycles: "${known}" no longer occurs: delete it from KNOWN in scripts/folder-cycle-rules.ts`,
  );
}
for (const cycle of cycles) {
  console.error(`folder-cycles: these folders import each other: ${cycle.folders.join(', ')}`);
  for (const edge of cycle.edges) console.error(`  ${edge.from} → ${edge.to}  (${edge.example})`);
}
if (cycles.length > 0) {
  console.error('Move the shared piece down to the folder it belongs to, so that imports go one way.');
}
if (cycles.length > 0 || staleKnown.length > 0) failed = true;

if (failed) process.exit(1);
console.log(
  `layers: ${files.length} files checked: SQL only in src/warehouse/ and migrations/, connectors/ free of src/, no folder import cycles`,
);
