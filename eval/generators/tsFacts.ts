/**
 * Facts about TypeScript/JavaScript files from the TypeScript compiler API: the functions a
 * file exports and whether each has a doc comment, and the files it imports.
 *
 * TypeScript is not a runtime dependency of rlm (it is 23 MB, and only these two generators
 * use it), so it is loaded when a generator needs it, from wherever Node can resolve it, and
 * a missing or too old compiler ends the command with what to install.
 */
import type * as TS from 'typescript';
import * as path from 'node:path';

/** Returns the `typescript` module; throws as `require` does when it cannot. */
export type TypeScriptLoader = () => unknown;

// A plain require, kept external by esbuild: resolved next to dist/cli.js at run time.
export const requireTypeScript: TypeScriptLoader = () => require('typescript');

/** The oldest compiler the facts work with: `isSatisfiesExpression` arrived in 4.9. */
const MIN_TYPESCRIPT: readonly [number, number] = [4, 9];

/** The TypeScript compiler could not be loaded; the message says what to install. */
export class MissingTypeScriptError extends Error {
  override readonly name = 'MissingTypeScriptError';
}

function installAdvice(generator: string): string {
  return (
    'Install it where Node finds it: "npm install -g typescript" when rlm is installed globally, otherwise "npm install typescript" ' +
    `in the project where rlm is installed; then run rlm eval generate ${generator} again. ` +
    '(Python repositories, --language py, do not need it.)'
  );
}

function isMissingModule(error: unknown): boolean {
  // Only "typescript itself is absent": a broken install that fails inside is another error.
  return (error as NodeJS.ErrnoException | null)?.code === 'MODULE_NOT_FOUND' && /['"]typescript['"]/.test((error as Error).message);
}

/**
 * The TypeScript compiler for the `generator` named in messages, or a MissingTypeScriptError
 * saying what to install when it is absent, fails to load, or is older than 4.9.
 */
export function loadTypeScript(generator: 'aggregate' | 'pairs', load: TypeScriptLoader = requireTypeScript): typeof TS {
  let ts: typeof TS;
  try {
    ts = load() as typeof TS;
  } catch (error) {
    if (isMissingModule(error)) {
      throw new MissingTypeScriptError(
        `The ${generator} generator reads TypeScript/JavaScript files with the TypeScript compiler, which is not installed: rlm does not ship it. ${installAdvice(generator)}`,
        { cause: error },
      );
    }
    throw new MissingTypeScriptError(
      `The TypeScript compiler is installed but failed to load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}). Reinstall it: ${installAdvice(generator)}`,
      { cause: error },
    );
  }
  const version = typeof ts?.version === 'string' ? ts.version : '';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (typeof ts?.createSourceFile !== 'function' || major < MIN_TYPESCRIPT[0] || (major === MIN_TYPESCRIPT[0] && minor < MIN_TYPESCRIPT[1])) {
    throw new MissingTypeScriptError(
      `The ${generator} generator needs TypeScript ${MIN_TYPESCRIPT.join('.')} or later; the one Node found is ${version ? `version ${version}` : 'not a TypeScript compiler'}. ${installAdvice(generator)}`,
    );
  }
  return ts;
}

export interface ExportedFunction {
  name: string;
  /** 1-based line of the declaration (of the `export` keyword). */
  line: number;
  documented: boolean;
}

function scriptKind(ts: typeof TS, file: string): TS.ScriptKind {
  const ext = path.posix.extname(file).toLowerCase();
  if (ext === '.tsx') return ts.ScriptKind.TSX;
  if (ext === '.jsx') return ts.ScriptKind.JSX;
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function hasModifier(ts: typeof TS, node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/**
 * Whether a JSDoc block comment (starting with a slash and two stars) is the last comment
 * before the node and ends on the line directly above it (or on its own line).
 */
function isDocumented(ts: typeof TS, source: TS.SourceFile, node: TS.Node): boolean {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const last = ranges.at(-1);
  if (!last || last.kind !== ts.SyntaxKind.MultiLineCommentTrivia) return false;
  const text = source.text.slice(last.pos, last.end);
  if (!text.startsWith('/**') || text === '/**/') return false;
  const endLine = source.getLineAndCharacterOfPosition(last.end).line;
  const declLine = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
  return declLine - endLine <= 1;
}

function isFunctionExpression(ts: typeof TS, expr: TS.Expression | undefined): boolean {
  let e = expr;
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e))) e = e.expression;
  return !!e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e));
}

/**
 * Top-level functions declared with the `export` keyword: `export function f`, `export
 * default function`, `export const f = () => ...` or `= function ...`, and `export default`
 * of an arrow or function expression. Overloads count once (documented when any of their
 * declarations is); bodiless declarations (`declare`, overload signatures alone) do not count.
 */
export function exportedFunctions(ts: typeof TS, file: string, text: string): ExportedFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(ts, file));
  const byName = new Map<string, ExportedFunction & { hasBody: boolean }>();
  const out: Array<ExportedFunction & { hasBody: boolean }> = [];
  const line = (node: TS.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement) && hasModifier(ts, statement, ts.SyntaxKind.ExportKeyword)) {
      if (hasModifier(ts, statement, ts.SyntaxKind.DeclareKeyword)) continue;
      const name = hasModifier(ts, statement, ts.SyntaxKind.DefaultKeyword) ? 'default' : (statement.name?.text ?? 'default');
      const documented = isDocumented(ts, source, statement);
      const existing = byName.get(name);
      if (existing) {
        existing.documented ||= documented;
        if (statement.body && !existing.hasBody) {
          existing.hasBody = true;
          existing.line = line(statement);
        }
        continue;
      }
      const entry = { name, line: line(statement), documented, hasBody: !!statement.body };
      byName.set(name, entry);
      out.push(entry);
    } else if (ts.isVariableStatement(statement) && hasModifier(ts, statement, ts.SyntaxKind.ExportKeyword)) {
      if (hasModifier(ts, statement, ts.SyntaxKind.DeclareKeyword)) continue;
      const documented = isDocumented(ts, source, statement);
      for (const decl of statement.declarationList.declarations) {
        if (ts.isIdentifier(decl.name) && isFunctionExpression(ts, decl.initializer)) {
          const entry = { name: decl.name.text, line: line(statement), documented, hasBody: true };
          byName.set(entry.name, entry);
          out.push(entry);
        }
      }
    } else if (ts.isExportAssignment(statement) && !statement.isExportEquals && isFunctionExpression(ts, statement.expression)) {
      const entry = { name: 'default', line: line(statement), documented: isDocumented(ts, source, statement), hasBody: true };
      byName.set('default', entry);
      out.push(entry);
    }
  }
  return out.filter((f) => f.hasBody).map(({ name, line: l, documented }) => ({ name, line: l, documented }));
}

/** Module specifiers a file names: imports (type-only too), export ... from, require(), import(). */
export function importSpecifiers(ts: typeof TS, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName);
}

const RESOLVE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const JS_TO_TS: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };

/**
 * The repository file a relative specifier names, as TypeScript resolves it: the exact file,
 * a `.js` specifier naming its `.ts` source, the name with an extension added, or a
 * folder's index file. Null for package imports and for targets outside `files`.
 */
export function resolveRelative(from: string, specifier: string, files: ReadonlySet<string>): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../') && specifier !== '.' && specifier !== '..') return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  if (base.startsWith('../')) return null;
  const candidates = [base];
  const ext = path.posix.extname(base).toLowerCase();
  for (const alt of JS_TO_TS[ext] ?? []) candidates.push(base.slice(0, -ext.length) + alt);
  for (const e of RESOLVE_EXTENSIONS) candidates.push(base + e);
  for (const e of RESOLVE_EXTENSIONS) candidates.push(`${base}/index${e}`);
  return candidates.find((c) => files.has(c) && c !== from) ?? null;
}
