import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The folders of the engine import one way only: a stage uses the stages and contracts below it, never the
 * other way round, so each can be read, tested and changed from the bottom up. This check finds the import
 * cycles between folders (tests aside) and fails on any but the known ones listed below, each of which is
 * being undone; a listed one that is gone is reported, to be deleted from the list.
 *
 *   tsx .ci/folder-cycles.ts        (run by `npm run lint`)
 */

const ROOTS = ['src', 'connectors'];

/** Imports that close a known cycle, `from folder → to folder`, with why they are still here. */
const KNOWN: Readonly<Record<string, string>> = {
  'connectors/transports → src/run':
    'table-transport reads watermarks from src/run (issue 14: a watermark port)',
  'connectors → src/validate':
    'contracts.ts takes RowError from src/validate (issue 14: connectors behind ports)',
  'connectors → src/warehouse':
    'contracts.ts takes UnitSession from src/warehouse (issue 14: connectors behind ports)',
  'src/warehouse → src/run':
    'unit-session.ts tracks active units of src/run (issue 14: SQL into src/warehouse)',
  'src/calendar → src/run': 'recompute-pending.ts uses src/run/timeliness.ts',
  'src/catalog → src/validate': 'lint-catalog.ts compiles validators of src/validate',
  'src/identifiers → src/normalize': 'resident-id.ts parses dates with src/normalize/parse-date.ts',
};

interface Edge {
  from: string;
  to: string;
  /** One file import that makes the edge, for the message. */
  example: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.ts$/.test(entry.name) && !/\.test(-support)?\.ts$/.test(entry.name) ? [file] : [];
  });
}

/** Folder imports; a folder's import of its own subfolder is no edge (a folder holds what is under it). */
function folderEdges(files: string[]): Edge[] {
  const edges = new Map<string, Edge>();
  for (const file of files) {
    const from = path.dirname(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const to = path.dirname(path.normalize(path.join(from, fileName)));
      if (to === from || to.startsWith(`${from}/`)) continue;
      const key = `${from} → ${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, example: `${file} imports ${fileName}` });
    }
  }
  return [...edges.values()];
}

/** Strongly connected groups of two folders or more (Tarjan). */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (stack.includes(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      group.push(member);
      if (member === node) break;
    }
    if (group.length > 1) found.push(group.sort());
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return found;
}

const all = folderEdges(ROOTS.flatMap(sourceFiles));
const present = new Set(all.map(({ from, to }) => `${from} → ${to}`));
const checked = all.filter(({ from, to }) => !(`${from} → ${to}` in KNOWN));
for (const known of Object.keys(KNOWN).filter((key) => !present.has(key))) {
  console.error(`folder-cycles: "${known}" no longer occurs: delete it from KNOWN in .ci/folder-cycles.ts`);
}
const groups = cycles(checked);
for (const group of groups) {
  const inside = checked.filter(({ from, to }) => group.includes(from) && group.includes(to));
  console.error(`folder-cycles: these folders import each other: ${group.join(', ')}`);
  for (const edge of inside) console.error(`  ${edge.from} → ${edge.to}  (${edge.example})`);
}
if (groups.length > 0) {
  console.error('Move the shared piece down to the folder it belongs to, so that imports go one way.');
  process.exitCode = 1;
}
