/**
 * The editor's language intelligence in the REPL: `repo.symbols`, `repo.definition` and
 * `repo.references`, answered by the language servers already running in VS Code. "Every
 * call site of X" becomes exact instead of a grep guess; where no language server answers,
 * the function says so and the model falls back to grep.
 *
 * These are host functions of the session (the core's "host functions as data"): they
 * appear in the system prompt only in the editor, and in the README's API section from this
 * same definition. This file does not import `vscode`: the answers come from a
 * `LanguageIntelligence` (languageIntelligence.ts implements it over VS Code's commands), so
 * the definitions can be rendered, and tested, anywhere.
 *
 * Results are plain data with workspace-relative paths, bounded in size and time, and the
 * lines they show are read through the repo, so they are recorded and cited like any read
 * (and come from unsaved text where the user has some).
 */
import { hostFunction, pathParam, type HostCallContext, type HostFunction } from '../core/sandbox/api';
import { ArgumentError, integer, oneOf, options, string, type Check } from '../core/sandbox/validate';

export interface CodePosition {
  /** Workspace-relative path. */
  path: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** Where a symbol or reference is: a workspace path, or outside the workspace (a library). */
export interface CodeLocation {
  /** Workspace-relative path; null when the location is outside the workspace. */
  path: string | null;
  /** For a location outside the workspace: its file name only (host paths are never shown). */
  outside?: string;
  line: number;
  column: number;
  endLine: number;
}

export interface SymbolInfo {
  name: string;
  kind: string;
  line: number;
  endLine: number;
  /** The enclosing symbol, e.g. the class of a method. */
  container?: string;
}

/** What the editor's language servers answer; null means no server answered. */
export interface LanguageIntelligence {
  symbols(path: string, signal: AbortSignal): Promise<SymbolInfo[] | null>;
  /** Where the workspace's symbols of exactly this name are (the servers' workspace symbol search). */
  workspaceSymbols(name: string, signal: AbortSignal): Promise<CodeLocation[] | null>;
  definitions(at: CodePosition, signal: AbortSignal): Promise<CodeLocation[] | null>;
  references(at: CodePosition, signal: AbortSignal): Promise<CodeLocation[] | null>;
}

export const LANGUAGE_LIMITS = {
  symbols: 500,
  definitions: 50,
  references: 1_000,
  /** A language server that has not answered by then is given up on. */
  timeoutMs: 15_000,
  nameChars: 200,
} as const;

const target: Check<string | Record<string, unknown>> = oneOf(
  string({ max: LANGUAGE_LIMITS.nameChars, nonEmpty: true }),
  options({ path: pathParam, line: integer({ min: 1, max: 1e9 }), column: integer({ min: 1, max: 1e6 }) }),
);

function asTarget(value: string | Record<string, unknown>, call: string): CodePosition | { name: string } {
  if (typeof value === 'string') return { name: value };
  const { path, line, column } = value as Partial<CodePosition>;
  if (typeof path !== 'string' || typeof line !== 'number') {
    throw new ArgumentError(`${call}: give a symbol name, or {path, line, column?} of a use of it (1-based), e.g. ${call}({path: "src/app.ts", line: 12, column: 5}).`);
  }
  return { path, line, column: typeof column === 'number' ? column : 1 };
}

/** Races a language-server request against the deadline; 'late' when the deadline came first. */
async function answered<T>(work: (signal: AbortSignal) => Promise<T | null>, outer: AbortSignal, timeoutMs: number): Promise<T | null | 'late'> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  outer.addEventListener('abort', onAbort, { once: true });
  // Already cancelled (the cell ended while this call waited its turn): the listener never fires.
  if (outer.aborted) controller.abort();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(controller.signal),
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    controller.abort();
    outer.removeEventListener('abort', onAbort);
  }
}

const NO_SERVER = (what: string) =>
  `No language server answered for ${what} (none may be installed or running for this language). Use repo.grep() instead.`;
const LATE = (what: string, ms: number) => `The language server did not answer for ${what} within ${ms / 1000} s. Use repo.grep() instead, or try again.`;

function describeTarget(t: CodePosition | { name: string }): string {
  return 'name' in t ? `"${t.name}"` : `${t.path}:${t.line}:${t.column}`;
}

/** Adds each location's line text, read through the repo (recorded and cited); locations outside stay without. */
async function withText(locations: CodeLocation[], ctx: HostCallContext): Promise<Array<CodeLocation & { text: string | null }>> {
  const out: Array<CodeLocation & { text: string | null }> = [];
  for (const loc of locations) {
    let text: string | null = null;
    if (loc.path !== null) {
      try {
        text = (await ctx.repo.read(loc.path, { start: loc.line, end: loc.line })).trim().slice(0, 300);
      } catch {
        text = null; // excluded from the workspace view, or changed since
      }
    }
    out.push({ ...loc, text });
  }
  return out;
}

/**
 * Where to ask about a target: the position given (after the path guard), or, for a name,
 * where the workspace's symbols of that name are; when the servers' symbol search finds
 * none (some servers only search open files), where the name is declared according to grep.
 */
async function positionsOf(target: CodePosition | { name: string }, ctx: HostCallContext, intel: LanguageIntelligence, signal: AbortSignal): Promise<CodePosition[]> {
  if (!('name' in target)) {
    await ctx.repo.info(target.path);
    return [target];
  }
  const symbols = (await intel.workspaceSymbols(target.name, signal)) ?? [];
  const inWorkspace = symbols.filter((l): l is CodeLocation & { path: string } => l.path !== null).map((l) => ({ path: l.path, line: l.line, column: l.column }));
  if (inWorkspace.length) return inWorkspace.slice(0, 20);
  const name = target.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const declared = await ctx.repo.grep(`\\b(function|class|interface|type|const|let|var|def|fn|func|struct|enum)\\s+\\*?${name}\\b`, { maxResults: 20 });
  return declared.map((m) => {
    const column = new RegExp(`\\b${name}\\b`).exec(m.text.replace(/^…/, ''))?.index ?? 0;
    return { path: m.path, line: m.line, column: column + 1 };
  });
}

/** Asks at each position; null when no server answered at any, else every distinct location. */
async function mergeAnswers(positions: CodePosition[], ask: (at: CodePosition) => Promise<CodeLocation[] | null>): Promise<CodeLocation[] | null> {
  let answered = false;
  const seen = new Set<string>();
  const out: CodeLocation[] = [];
  for (const at of positions) {
    const found = await ask(at);
    if (found === null) continue;
    answered = true;
    for (const loc of found) {
      const key = `${loc.path ?? loc.outside}:${loc.line}:${loc.column}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(loc);
      }
    }
  }
  return answered ? out : null;
}

function capped<T>(items: T[], max: number): { items: T[]; more: number } {
  return items.length > max ? { items: items.slice(0, max), more: items.length - max } : { items, more: 0 };
}

export function languageFunctions(intel: LanguageIntelligence, options: { timeoutMs?: number } = {}): HostFunction[] {
  const timeoutMs = options.timeoutMs ?? LANGUAGE_LIMITS.timeoutMs;
  return [
    hostFunction({
      name: 'repo.symbols',
      signature: 'await repo.symbols(path)',
      doc: `[{name, kind, line, endLine, container?}]: the functions, classes, methods... a language server found in one file (at most ${LANGUAGE_LIMITS.symbols}); throws when no server answers, then use repo.grep`,
      params: [['path', pathParam]],
      async handler([file], ctx) {
        await ctx.repo.info(file); // the path guard: a file outside the workspace view is refused here
        const result = await answered((s) => intel.symbols(file, s), ctx.signal, timeoutMs);
        if (result === 'late') throw new Error(LATE(file, timeoutMs));
        if (result === null || result.length === 0) throw new Error(NO_SERVER(file));
        const { items, more } = capped(result, LANGUAGE_LIMITS.symbols);
        if (items.length > 0) ctx.recordRead({ path: file, start: Math.min(...items.map((s) => s.line)), end: Math.max(...items.map((s) => s.line)), via: 'repo.symbols' });
        return more ? [...items, { note: `${more} more symbols not shown` }] : items;
      },
      describe: ([file], r) => `symbols of ${file}${r ? ` → ${Array.isArray(r) ? r.length : 0}` : ''}`,
    }),
    hostFunction({
      name: 'repo.definition',
      signature: 'await repo.definition(name | {path, line, column})',
      doc: `[{path, line, column, endLine, text}]: where a symbol is defined, by name or from a use of it (1-based), from the language servers; path is null (with outside: file name) for a library`,
      params: [['target', target]],
      async handler([t], ctx) {
        const where = asTarget(t, 'repo.definition');
        const result = await answered(async (s) => {
          if ('name' in where) {
            const found = await intel.workspaceSymbols(where.name, s);
            if (found && found.length) return found;
          }
          return mergeAnswers(await positionsOf(where, ctx, intel, s), (at) => intel.definitions(at, s));
        }, ctx.signal, timeoutMs);
        if (result === 'late') throw new Error(LATE(describeTarget(where), timeoutMs));
        if (result === null) throw new Error(NO_SERVER(describeTarget(where)));
        return withText(capped(result, LANGUAGE_LIMITS.definitions).items, ctx);
      },
      describe: ([t], r) => `definition of ${typeof t === 'string' ? t : `${String(t.path)}:${String(t.line)}`}${Array.isArray(r) ? ` → ${r.length}` : ''}`,
    }),
    hostFunction({
      name: 'repo.references',
      signature: 'await repo.references(name | {path, line, column})',
      doc: `[{path, line, column, endLine, text}]: every use of a symbol across the workspace, exact, from the language servers (at most ${LANGUAGE_LIMITS.references.toLocaleString('en-US')}); throws when no server answers, then use repo.grep`,
      params: [['target', target]],
      async handler([t], ctx) {
        const where = asTarget(t, 'repo.references');
        const result = await answered(async (s) => mergeAnswers(await positionsOf(where, ctx, intel, s), (at) => intel.references(at, s)), ctx.signal, timeoutMs);
        if (result === 'late') throw new Error(LATE(describeTarget(where), timeoutMs));
        if (result === null) throw new Error(NO_SERVER(describeTarget(where)));
        const { items, more } = capped(result, LANGUAGE_LIMITS.references);
        const shown = await withText(items, ctx);
        return more ? [...shown, { note: `${more} more references not shown; narrow the question` }] : shown;
      },
      describe: ([t], r) => `references of ${typeof t === 'string' ? t : `${String(t.path)}:${String(t.line)}`}${Array.isArray(r) ? ` → ${r.length}` : ''}`,
    }),
  ];
}
