/**
 * The import graph of the project's own sources, for the layering and cycle tests.
 *
 * Specifiers are read with the TypeScript compiler's `preProcessFile` rather than a regular
 * expression: it sees every form (`import`, `import type`, `import 'x'`, `export ... from`,
 * `require()`, dynamic `import()`, `import x = require()`), across line breaks, and ignores
 * comments and strings that merely look like imports. Relative specifiers are resolved to the
 * real file they name, as TypeScript resolves them (an added extension, a `.js` specifier
 * naming its `.ts` source, a folder's index file), so `../cli/run`, `../cli/run.js` and
 * `./../cli` all count as importing src/cli.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export const ROOT = realpathSync(path.join(__dirname, '..', '..'));

/** The .ts/.js sources under `dir` (absolute, real paths), sorted. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return sourceFiles(full);
      return /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [realpathSync(full)] : [];
    });
}

/** Every module specifier the text names, in order. */
export function importSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const JS_TO_TS: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };

export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || path.isAbsolute(specifier);
}

/**
 * The real path of the file a relative (or absolute) specifier in `from` names; null for a
 * package name. A path that names no existing file resolves to where it points, so that a
 * layering rule still sees which folder it reaches into.
 */
export function resolveSpecifier(from: string, specifier: string): string | null {
  if (!isPathSpecifier(specifier)) return null;
  const base = path.resolve(path.dirname(from), specifier);
  const ext = path.extname(base);
  const candidates = [
    base,
    ...(JS_TO_TS[ext] ?? []).map((alt) => base.slice(0, -ext.length) + alt),
    ...EXTENSIONS.map((e) => base + e),
    ...EXTENSIONS.map((e) => path.join(base, `index${e}`)),
  ];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return found ? realpathSync(found) : base;
}

/** file -> the project files it imports (package imports left out). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importSpecifiers(readFileSync(file, 'utf8'))
      .map((s) => resolveSpecifier(file, s))
      .filter((t): t is string => t !== null && known.has(t));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * Import cycles of a graph, each as the path that closes it (first node repeated at the end),
 * found by a depth-first search: every edge back to a node still on the search path closes
 * one. Not every elementary cycle is listed, but any circle in the graph yields at least one,
 * and a cycle over the same files is reported once.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        // The same cycle entered at another node is a rotation of this one.
        const key = [...cycle].sort().join('\n');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, next]);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}
