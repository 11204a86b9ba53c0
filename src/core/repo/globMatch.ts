/**
 * Globs the model passes to `files`, `grep`, `clusters` and `subset`: fast-glob syntax,
 * relative to the workspace root, matched with picomatch against the workspace listing
 * (so every method agrees on what a glob selects). Dotfiles match like any other file.
 * A pattern starting with "!" excludes; a pattern ending in "/" means everything below.
 * As in fast-glob, "*.ts" is only the root's .ts files — "**\/*.ts" is all of them.
 */
import picomatch from 'picomatch';
import { RepoError } from './types';

export interface GlobSelection {
  /** Patterns that select (without "!"), already normalised. */
  positives: string[];
  /** Patterns that exclude (the "!" removed), already normalised. */
  negatives: string[];
  match(relPath: string): boolean;
}

// `s`: a file name may hold a newline, and picomatch's patterns use `.`, which would not match it.
const PICOMATCH_OPTIONS = { dot: true, windows: false, flags: 's' } as const;

/**
 * Compiles a glob argument; undefined means "every file" and gives null. (Its type is
 * checked at the sandbox boundary; an empty list or a blank pattern selects nothing
 * meaningful and is refused here.)
 */
export function compileGlobs(glob: string | readonly string[] | undefined, call: string): GlobSelection | null {
  if (glob === undefined) return null;
  const list = typeof glob === 'string' ? [glob] : glob;
  if (list.length === 0 || list.some((g) => g.trim() === '')) {
    throw new RepoError(
      `${call}: the glob must be a non-empty string or array of strings, like "src/**/*.ts"; got ${JSON.stringify(glob)}.`,
    );
  }
  const positives: string[] = [];
  const negatives: string[] = [];
  for (const raw of list) {
    const negated = raw.startsWith('!') && !raw.startsWith('!(');
    const pattern = normalizeGlob(negated ? raw.slice(1) : raw, raw, call);
    (negated ? negatives : positives).push(pattern);
  }
  // Only exclusions given: they exclude from everything, as in fast-glob's `ignore`.
  const include = picomatch(positives.length > 0 ? positives : ['**'], PICOMATCH_OPTIONS);
  const exclude = negatives.length > 0 ? picomatch(negatives, PICOMATCH_OPTIONS) : null;
  return {
    positives,
    negatives,
    match: (p) => include(p) && (exclude === null || !exclude(p)),
  };
}

function normalizeGlob(pattern: string, original: string, call: string): string {
  let p = pattern;
  while (p.startsWith('./')) p = p.slice(2);
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) {
    throw new RepoError(`${call}: glob "${original}" is absolute; globs are relative to the workspace root, like "src/**/*.ts".`);
  }
  if (p.split('/').includes('..')) {
    throw new RepoError(`${call}: glob "${original}" climbs out with ".."; globs are relative to the workspace root, like "src/**/*.ts".`);
  }
  if (p.endsWith('/')) p += '**';
  return p === '' || p === '.' ? '**' : p;
}

/**
 * Globs for `rg -g` that select a superset of `selection`'s positive patterns, or null
 * when no such simple glob exists (then ripgrep searches everything and the listing
 * filter narrows the results). A pattern's last segment, when it is only literal
 * characters, `*` and a `{a,b}` list, matches the file's name; as an rg glob without a
 * "/" it matches that name at any depth, which can only widen the set. Exclusions are
 * never passed: the final filter applies them exactly.
 */
export function ripgrepGlobs(selection: GlobSelection | null): string[] | null {
  if (selection === null || selection.positives.length === 0) return null;
  const globs: string[] = [];
  for (const pattern of selection.positives) {
    const last = pattern.slice(pattern.lastIndexOf('/') + 1);
    if (!/^[\w.\-*{},]+$/.test(last) || /^\**$/.test(last) || last.includes('..')) return null;
    if ((last.match(/\{/g) ?? []).length > 1 || (last.match(/\}/g) ?? []).length > 1) return null;
    globs.push(last);
  }
  return globs;
}

/**
 * Directory names whose exclusion is exactly an exclude glob of the form "**\/name/**",
 * so ripgrep can skip them with `-g !name/` and stay in step with the listing.
 */
export function excludedDirNames(exclude: readonly string[]): string[] {
  const names: string[] = [];
  for (const glob of exclude) {
    const m = /^\*\*\/([\w.\-]+)\/\*\*$/.exec(glob);
    if (m) names.push(m[1]);
  }
  return names;
}

/**
 * The selection of a `subset(include)` view: each item is a path (a file, or a directory
 * meaning everything below it) or a glob.
 */
/**
 * What `compileInclude` refuses, found without compiling anything (compiling a hostile glob
 * can itself take seconds): for a caller on the host's thread that has the matching done in
 * the grep worker.
 */
export function checkInclude(include: readonly string[], call: string): void {
  if (include.length === 0 || include.some((i) => i.trim() === '')) {
    throw new RepoError(
      `${call} needs a non-empty array of paths or globs, like ["src/core/**", "README.md"]; got ${JSON.stringify(include)}.`,
    );
  }
  for (const item of include) normalizeGlob(item, item, call);
}

export function compileInclude(include: readonly string[], call: string): (relPath: string) => boolean {
  checkInclude(include, call);
  const tests = include.map((item): ((p: string) => boolean) => {
    const pattern = normalizeGlob(item, item, call);
    if (picomatch.scan(pattern).isGlob) return picomatch(pattern, PICOMATCH_OPTIONS);
    const prefix = `${pattern}/`;
    return (p) => p === pattern || p.startsWith(prefix);
  });
  return (p) => tests.some((t) => t(p));
}
