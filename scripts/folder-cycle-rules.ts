import path from 'node:path';
import ts from 'typescript';
import type { SourceFile } from './layer-rules.ts';

/**
 * The folders of the engine import one way only: a stage uses the stages and contracts below it, never the
 * other way round, so each can be read, tested and changed from the bottom up. This rule finds the import
 * cycles between folders of src/ and connectors/ (tests aside) and fails on any but the known ones below,
 * each of which is being undone; a listed one that is gone fails too, to be deleted from the list.
 */

/** Imports that close a known cycle, `from folder → to folder`, with why they are still here. */
export const KNOWN: Readonly<Record<string, string>> = {
  // Empty since issue 14: add an entry only with the import that closes the cycle and why it must stay.
};

export interface FolderEdge {
  from: string;
  to: string;
  /** One file import that makes the edge, for the message. */
  example: string;
}

const ROOTS = ['src/', 'connectors/'];

const isChecked = (file: string) =>
  ROOTS.some((root) => file.startsWith(root)) && /\.ts$/.test(file) && !/\.test(-support)?\.ts$/.test(file);

/** Folder imports; a folder's import of its own subfolder is no edge (a folder holds what is under it). */
export function folderEdges(files: readonly SourceFile[]): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const file of files) {
    if (!isChecked(file.path)) continue;
    const from = path.posix.dirname(file.path);
    for (const { fileName } of ts.preProcessFile(file.text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const to = path.posix.dirname(path.posix.normalize(path.posix.join(from, fileName)));
      if (to === from || to.startsWith(`${from}/`)) continue;
      const key = `${from} → ${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, example: `${file.path} imports ${fileName}` });
    }
  }
  return [...edges.values()];
}

/** Strongly connected groups of two folders or more (Tarjan). */
function stronglyConnected(edges: readonly FolderEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    const own = index.size;
    index.set(node, own);
    low.set(node, own);
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) ?? own, low.get(to) ?? own));
      } else if (stack.includes(to)) low.set(node, Math.min(low.get(node) ?? own, index.get(to) ?? own));
    }
    if (low.get(node) !== own) return;
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

export interface FolderCycle {
  folders: string[];
  /** The imports between the cycle's folders. */
  edges: FolderEdge[];
}

/** The cycles left once the known edges are set aside, and the known edges that no longer occur. */
export function judgeFolderCycles(
  edges: readonly FolderEdge[],
  known: Readonly<Record<string, string>> = KNOWN,
): { cycles: FolderCycle[]; staleKnown: string[] } {
  const present = new Set(edges.map(({ from, to }) => `${from} → ${to}`));
  const checked = edges.filter(({ from, to }) => !(`${from} → ${to}` in known));
  const cycles = stronglyConnected(checked).map((folders) => ({
    folders,
    edges: checked.filter(({ from, to }) => folders.includes(from) && folders.includes(to)),
  }));
  return { cycles, staleKnown: Object.keys(known).filter((key) => !present.has(key)) };
}
