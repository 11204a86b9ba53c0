/**
 * The pairs generator: which pairs of modules import each other (file A imports file B and
 * B imports A). Imports are read with the TypeScript compiler API for TypeScript/JavaScript
 * (relative specifiers, resolved as TypeScript does) and by a lexical scan for Python
 * (relative and absolute imports of the repository's own modules). Scored by set F1.
 */
import * as path from 'node:path';
import { comparePaths } from '../../src/core/repo/pathOrder';
import { Rng } from '../random';
import type { EvalQuestion } from '../types';
import { pythonRoots, resolvePythonImports } from './pyFacts';
import { GeneratorError, LANGUAGE_NAMES, isSource, listTextFiles, mainLanguage, type SourceLanguage } from './sourceFiles';
import { importSpecifiers, loadTypeScript, requireTypeScript, resolveRelative, type TypeScriptLoader } from './tsFacts';

/** file -> the repository files it imports. TypeScript is loaded (with `loadTs`) only for TS/JS. */
export async function importGraph(root: string, language: SourceLanguage, useGitignore = true, loadTs: TypeScriptLoader = requireTypeScript): Promise<Map<string, Set<string>>> {
  const ts = language === 'ts' ? loadTypeScript('pairs', loadTs) : null;
  const { repo, files } = await listTextFiles(root, useGitignore);
  const sources = files.map((f) => f.path).filter((f) => isSource(f, language));
  const set = new Set(sources);
  const roots = language === 'py' ? pythonRoots(sources) : [];
  const graph = new Map<string, Set<string>>();
  for (const file of sources) {
    const text = await repo.read(file);
    if (ts) {
      const targets = new Set<string>();
      for (const spec of importSpecifiers(ts, text)) {
        const t = resolveRelative(file, spec, set);
        if (t) targets.add(t);
      }
      graph.set(file, targets);
    } else {
      graph.set(file, resolvePythonImports(file, text, set, roots));
    }
  }
  return graph;
}

/** Unordered pairs "a <-> b" (a before b) of files that import each other, sorted. */
export function mutualPairs(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const out: string[] = [];
  for (const [a, targets] of graph) {
    for (const b of targets) {
      if (comparePaths(a, b) < 0 && graph.get(b)?.has(a)) out.push(`${a} <-> ${b}`);
    }
  }
  return out.sort(comparePaths);
}

function definition(language: SourceLanguage): string {
  return language === 'ts'
    ? `Consider the ${LANGUAGE_NAMES.ts} files. File A imports file B when A names B with a relative path (starting with ./ or ../) in an import or import type statement, an export ... from statement, a require call or a dynamic import call; the path is resolved as TypeScript resolves it (an added extension, a folder's index file, a .js path naming the .ts file).`
    : `Consider the ${LANGUAGE_NAMES.py} files. File A imports file B when an import statement anywhere in A (import x.y, from x import y, or a relative from . import y) names the module B (x/y.py) or the package whose __init__.py is B; a from-import of a submodule imports that submodule's file.`;
}

export interface PairsOptions {
  repo: string;
  seed: number;
  /** 1: the whole repository; more add questions scoped to folders chosen by the seed. */
  count?: number;
  language?: SourceLanguage;
  useGitignore?: boolean;
  /** How the TypeScript compiler is loaded (default: require('typescript')); tests inject one. */
  loadTypeScript?: TypeScriptLoader;
}

export async function generatePairs(options: PairsOptions): Promise<{ questions: EvalQuestion[]; language: SourceLanguage; pairs: number }> {
  const root = path.resolve(options.repo);
  const { files } = await listTextFiles(root, options.useGitignore ?? true);
  const language = options.language ?? mainLanguage(files.map((f) => f.path));
  if (!language) throw new GeneratorError(`${root} has no TypeScript/JavaScript or Python source files; the pairs generator reads imports in those languages.`);
  const graph = await importGraph(root, language, options.useGitignore ?? true, options.loadTypeScript);
  const all = mutualPairs(graph);
  const format = 'List every such pair once, one per line, as "<path> <-> <path>" with paths relative to the repository root; write NONE if there are none.';
  const questions: EvalQuestion[] = [
    {
      id: 'pairs-1-repo',
      group: 'pairs',
      repo: root,
      question: `${definition(language)}\n\nWhich pairs of files import each other (A imports B and B imports A)? ${format}`,
      expected: all,
      check: { type: 'set-f1', pairs: true },
      meta: { generator: 'pairs', seed: options.seed, language, scope: '.', files: graph.size },
    },
  ];
  // Folders with at least two source files, in a seeded order, for scoped questions.
  const dirs = new Map<string, number>();
  for (const file of graph.keys()) {
    const parts = file.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.set(parts.slice(0, i).join('/'), (dirs.get(parts.slice(0, i).join('/')) ?? 0) + 1);
  }
  const candidates = new Rng(options.seed, 'pairs-scopes').shuffle([...dirs.entries()].filter(([, n]) => n >= 2).map(([d]) => d).sort());
  for (const dir of candidates.slice(0, Math.max(0, (options.count ?? 1) - 1))) {
    const inside = (f: string) => f.startsWith(`${dir}/`);
    questions.push({
      id: `pairs-${questions.length + 1}-${dir.replace(/[^\w.-]+/g, '_')}`,
      group: 'pairs',
      repo: root,
      question: `${definition(language)}\n\nConsidering only files under ${dir}/ (both files of a pair must be there), which pairs of files import each other (A imports B and B imports A)? ${format}`,
      expected: all.filter((p) => p.split(' <-> ').every(inside)),
      check: { type: 'set-f1', pairs: true },
      meta: { generator: 'pairs', seed: options.seed, language, scope: dir },
    });
  }
  return { questions, language, pairs: all.length };
}
