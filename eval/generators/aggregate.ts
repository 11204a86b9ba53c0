/**
 * The aggregate generator: questions whose answer needs nearly every source file, such as
 * how many exported functions lack a doc comment in each directory. The truth is computed
 * by code: the TypeScript compiler API for TypeScript/JavaScript, a lexical scan for
 * Python. Answers are numbers (or a number per directory), scored with a tolerance.
 */
import * as path from 'node:path';
import { Rng } from '../random';
import type { EvalQuestion } from '../types';
import { publicFunctions } from './pyFacts';
import { GeneratorError, LANGUAGE_NAMES, dirOf, isSource, listTextFiles, mainLanguage, topDirOf, type SourceLanguage } from './sourceFiles';
import { exportedFunctions, loadTypeScript, requireTypeScript, type TypeScriptLoader } from './tsFacts';

export interface FunctionFact {
  file: string;
  name: string;
  line: number;
  documented: boolean;
}

/**
 * Every exported (TS/JS) or public top-level (Python) function of the repository's source
 * files. TypeScript is loaded (with `loadTs`) only for TS/JS, before any file is read.
 */
export async function functionFacts(root: string, language: SourceLanguage, useGitignore = true, loadTs: TypeScriptLoader = requireTypeScript): Promise<FunctionFact[]> {
  const ts = language === 'ts' ? loadTypeScript('aggregate', loadTs) : null;
  const { repo, files } = await listTextFiles(root, useGitignore);
  const out: FunctionFact[] = [];
  for (const f of files) {
    if (!isSource(f.path, language)) continue;
    const text = await repo.read(f.path);
    const found = ts ? exportedFunctions(ts, f.path, text) : publicFunctions(text);
    for (const fn of found) out.push({ file: f.path, name: fn.name, line: fn.line, documented: fn.documented });
  }
  return out;
}

function definitions(language: SourceLanguage): string {
  return language === 'ts'
    ? `Look at the ${LANGUAGE_NAMES.ts} files. An "exported function" is a top-level function declared with the export keyword: \`export function f\`, \`export default function\`, \`export const f = (...) => ...\` or \`export const f = function ...\`, or \`export default\` of an arrow or function expression (re-exports and \`export { f }\` lists do not count; overloads count once, and bodiless \`declare\` functions not at all). It "has a doc comment" when a JSDoc block comment (one starting with /**) is the last comment before the declaration and ends on the line directly above it.`
    : `Look at the ${LANGUAGE_NAMES.py} files. A "public function" is a top-level \`def\` or \`async def\` (at column 0) whose name does not start with an underscore. It "has a docstring" when the first statement of its body is a string literal.`;
}

function terms(language: SourceLanguage): { fn: string; doc: string; undocumented: string } {
  return language === 'ts'
    ? { fn: 'exported functions', doc: 'doc comment', undocumented: 'exported functions without a doc comment' }
    : { fn: 'public functions', doc: 'docstring', undocumented: 'public functions without a docstring' };
}

const PER_DIR_FORMAT =
  'Answer with one line per directory that has at least one, in the form "<directory>: <count>", the directory being the path of the folder that directly holds the files, relative to the repository root (use "." for files at the root); leave out directories with a count of 0.';
const PER_TOP_FORMAT =
  'Answer with one line per top-level folder that has at least one, in the form "<folder>: <count>" (use "." for files directly at the repository root); leave out folders with a count of 0.';

function countBy(facts: readonly FunctionFact[], key: (f: FunctionFact) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of facts) out[key(f)] = (out[key(f)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

interface Template {
  key: string;
  make(facts: FunctionFact[], language: SourceLanguage): { question: string; expected: number | Record<string, number> };
}

const TEMPLATES: Template[] = [
  {
    key: 'undocumented-per-dir',
    make: (facts, lang) => ({
      question: `${definitions(lang)}\n\nFor each directory, how many ${terms(lang).undocumented} do its files contain (files directly in that directory, not in its subdirectories)? ${PER_DIR_FORMAT}`,
      expected: countBy(facts.filter((f) => !f.documented), (f) => dirOf(f.file)),
    }),
  },
  {
    key: 'undocumented-total',
    make: (facts, lang) => ({
      question: `${definitions(lang)}\n\nHow many ${terms(lang).undocumented} are there in the whole repository? Answer with one number.`,
      expected: facts.filter((f) => !f.documented).length,
    }),
  },
  {
    key: 'functions-per-top-dir',
    make: (facts, lang) => ({
      question: `${definitions(lang)}\n\nFor each top-level folder of the repository, how many ${terms(lang).fn} do the files under it contain (at any depth)? ${PER_TOP_FORMAT}`,
      expected: countBy(facts, (f) => topDirOf(f.file)),
    }),
  },
  {
    key: 'documented-total',
    make: (facts, lang) => ({
      question: `${definitions(lang)}\n\nHow many ${terms(lang).fn} in the whole repository have a ${terms(lang).doc}? Answer with one number.`,
      expected: facts.filter((f) => f.documented).length,
    }),
  },
];

export const AGGREGATE_KINDS = TEMPLATES.map((t) => t.key);

export interface AggregateOptions {
  repo: string;
  seed: number;
  /** How many of the question kinds to make (chosen and ordered by the seed). Default 2. */
  count?: number;
  /** Relative tolerance of the number checks (0.1 = 10%). Default 0.1. */
  tolerance?: number;
  language?: SourceLanguage;
  useGitignore?: boolean;
  /** How the TypeScript compiler is loaded (default: require('typescript')); tests inject one. */
  loadTypeScript?: TypeScriptLoader;
}

export async function generateAggregate(options: AggregateOptions): Promise<{ questions: EvalQuestion[]; language: SourceLanguage; functions: number }> {
  const root = path.resolve(options.repo);
  const { files } = await listTextFiles(root, options.useGitignore ?? true);
  const language = options.language ?? mainLanguage(files.map((f) => f.path));
  if (!language) throw new GeneratorError(`${root} has no TypeScript/JavaScript or Python source files; the aggregate generator counts functions in those languages.`);
  const facts = await functionFacts(root, language, options.useGitignore ?? true, options.loadTypeScript);
  if (facts.length === 0) {
    throw new GeneratorError(`${root} has ${LANGUAGE_NAMES[language]} files but no ${terms(language).fn}, so there is nothing to count.`);
  }
  const count = Math.min(options.count ?? 2, TEMPLATES.length);
  const chosen = new Rng(options.seed, 'aggregate-kinds').shuffle(TEMPLATES).slice(0, count);
  const rel = options.tolerance ?? 0.1;
  const questions = chosen.map((t, i): EvalQuestion => {
    const { question, expected } = t.make(facts, language);
    return {
      id: `aggregate-${i + 1}-${t.key}`,
      group: `aggregate-${t.key}`,
      repo: root,
      question,
      expected,
      check: { type: 'number', rel },
      meta: { generator: 'aggregate', seed: options.seed, kind: t.key, language, functions: facts.length },
    };
  });
  return { questions, language, functions: facts.length };
}
