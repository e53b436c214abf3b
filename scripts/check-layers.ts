/**
 * CI check (npm run check:layers): SQL only in src/warehouse/ and migrations/, connectors/ never importing src/.
 * Exits 1 naming each file, line and rule broken; the rules and the allowlist are in layer-rules.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  process.exit(1);
}
console.log(
  `layers: ${files.length} files checked, SQL only in src/warehouse/ and migrations/, connectors/ free of src/`,
);
