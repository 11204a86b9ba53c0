/**
 * .gitignore semantics for the workspace walk, with the `ignore` package.
 *
 * Every .gitignore in the tree counts, each with its patterns relative to its own
 * directory, and a deeper file overrides a shallower one (the last matching rule wins,
 * negations included). Rules are loaded lazily: the walker hands over a directory's
 * .gitignore when it enters that directory, and ignored directories are never entered,
 * so no time is spent on the .gitignore files (or anything else) inside `build/` and the
 * like. Only .gitignore files under the root count — not parent directories, the global
 * excludes file or .git/info/exclude — which is also what ripgrep is told to do, so the
 * two grep engines see the same files.
 */
import ignore from 'ignore';

type Ignore = ignore.Ignore;

type Verdict = { ignored: boolean; unignored: boolean };
/** The `ignore` package's per-path rule test, which does not look at parent directories. */
type OwnRuleTester = { test(path: string, mode: string): Verdict };

export class IgnoreRules {
  /** Directory ("" for the root) → the rules of the .gitignore file in it. */
  private readonly byDir = new Map<string, Ignore>();

  /** Registers the text of `<dir>/.gitignore`. */
  add(dir: string, gitignoreText: string): void {
    // Case-sensitive like git on Linux and like ripgrep, whatever the platform.
    this.byDir.set(dir, ignore({ ignorecase: false }).add(gitignoreText));
  }

  get size(): number {
    return this.byDir.size;
  }

  /**
   * Whether any .gitignore loaded so far governs entries of `relDir` (its own or an
   * ancestor's). The walker reads a directory only after its parent's .gitignore is
   * loaded, so a false answer lets it skip checking every entry.
   */
  appliesWithin(relDir: string): boolean {
    if (this.byDir.size === 0) return false;
    if (this.byDir.has('')) return true;
    const parts = relDir === '' ? [] : relDir.split('/');
    for (let i = 1; i <= parts.length; i++) if (this.byDir.has(parts.slice(0, i).join('/'))) return true;
    return false;
  }

  /**
   * Whether the entry `rel` ("a/b/c.ts") is ignored. The walker only asks about entries
   * of directories it entered, i.e. whose ancestors are all not ignored, so only rules
   * that match the path itself matter.
   */
  isIgnored(rel: string, isDirectory: boolean): boolean {
    if (this.byDir.size === 0) return false;
    const parts = rel.split('/');
    let ignored = false;
    for (let i = 0; i < parts.length; i++) {
      const rules = this.byDir.get(parts.slice(0, i).join('/'));
      if (rules === undefined) continue;
      const sub = parts.slice(i).join('/') + (isDirectory ? '/' : '');
      const verdict = this.ownVerdict(rules, parts.slice(i), sub);
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  }

  /**
   * `rules.test(sub)` also reports a path as ignored when one of its parent directories
   * is; that is right within one .gitignore, but wrong when a deeper .gitignore has
   * re-included that parent (root: `a/b/`, a/.gitignore: `!b/`), because git then
   * applies the root rules to "a/b/c" itself only. In that rare case the package's
   * per-path test is used when it is there, else the rules are taken as not deciding.
   */
  private ownVerdict(rules: Ignore, segments: string[], sub: string): Verdict {
    if (segments.length > 1) {
      const parent = segments.slice(0, -1).join('/') + '/';
      if (rules.test(parent).ignored) {
        const own = (rules as unknown as { _rules?: OwnRuleTester })._rules;
        try {
          if (own !== undefined && typeof own.test === 'function') return own.test(sub, 'regex');
        } catch {
          // Internals changed shape; fall through.
        }
        return { ignored: false, unignored: false };
      }
    }
    return rules.test(sub);
  }
}
