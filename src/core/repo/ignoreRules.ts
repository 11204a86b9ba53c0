/**
 * .gitignore semantics for the workspace walk, with the `ignore` package's rule compiler.
 *
 * Every .gitignore in the tree counts, each with its patterns relative to its own
 * directory, and a deeper file overrides a shallower one (the last matching rule wins,
 * negations included). Rules are loaded lazily: the walker hands over a directory's
 * .gitignore when it enters that directory, and ignored directories are never entered, so
 * no time is spent on the .gitignore files (or anything else) inside `build/` and the like.
 * Only .gitignore files under the root count — not parent directories, the global excludes
 * file or .git/info/exclude — which is also what ripgrep is told to do.
 *
 * The walker asks only about entries of directories it entered, so a path's verdict is the
 * per-path verdict of each governing file (root first, deepest last; the last decisive one
 * wins). That is also right when a deeper .gitignore re-includes a directory a shallower
 * one ignored (root: `a/b/`, a/.gitignore: `!b/`): git then applies the root rules to
 * "a/b/c" itself only.
 *
 * Speed, and hostile rule files. The `ignore` package tests a path against every rule of a
 * file in turn (about 0.2 µs a rule): a 10,000-rule file costs 2 ms per path, 100 s for a
 * 50,000-file tree. So each file's rules are indexed by what the last segment of their
 * pattern can match: a literal name (`build/`, `/dist`, `a/b.txt`), a literal suffix
 * (`*.log`) or prefix (`.env*`); only the rest (`*.py[cod]`, `foo/**`) is tried for every
 * path. The last matching rule still decides, tried from the end as the package does.
 * And the work is capped: at most `MAX_IGNORE_RULES` rules over all the workspace's ignore
 * files and `MAX_WILDCARD_RULES` of the unindexed kind, in the order the files are met;
 * rules past a cap are not applied (the files they would hide stay listed) and a note says
 * so. Rules are compiled in batches with a turn of the event loop between them.
 */
import ignore from 'ignore';
import { nextTurn } from '../util/slices';

type Ignore = ignore.Ignore;

export type Verdict = { ignored: boolean; unignored: boolean };

/** Rules applied over all the workspace's ignore files. */
export const MAX_IGNORE_RULES = 10_000;
/**
 * Of those, rules that cannot be looked up by name, start or end (a wildcard in the middle,
 * a class, an escape): each costs a substring test per path, and a regex test when the name
 * holds its literal text.
 */
export const MAX_WILDCARD_RULES = 1_000;
/** And of those, rules without two literal characters in a row: a regex test for every path. */
export const MAX_BARE_WILDCARD_RULES = 100;
/** Largest part of an ignore file read; the rest is not applied. */
export const MAX_IGNORE_FILE_BYTES = 1024 * 1024;
/** Rules compiled between turns of the event loop (about 10 ms of work). */
const COMPILE_BATCH = 500;
const SLICE_MS = 8;

/** What the package keeps per rule (internals, checked at run time; see `RuleSet.fallback`). */
interface PackageRule {
  body: string;
  negative: boolean;
  readonly regex: RegExp;
  readonly _basenameOnly: boolean;
}

interface Rule {
  negative: boolean;
  basenameOnly: boolean;
  regex: RegExp;
}

const GLOB_CHARS = /[*?[\\]/;

/**
 * How a rule is found for a path, from its pattern's last segment (`body`: no "!", no
 * trailing "/"): by the entry's exact name, its start, its end, by a literal run the name
 * must contain (`filtered`, tried after a `String.includes`), or tried for every path (`bare`).
 */
type RuleKind = { kind: 'literal' | 'prefix' | 'suffix' | 'filtered'; key: string } | { kind: 'bare'; key: '' };

function classify(body: string): RuleKind {
  const last = body.slice(body.lastIndexOf('/') + 1);
  if (last !== '' && !GLOB_CHARS.test(last)) return { kind: 'literal', key: last };
  if (last.length > 1 && last.startsWith('*') && !GLOB_CHARS.test(last.slice(1))) return { kind: 'suffix', key: last.slice(1) };
  if (last.length > 1 && last.endsWith('*') && !GLOB_CHARS.test(last.slice(0, -1))) return { kind: 'prefix', key: last.slice(0, -1) };
  // The longest run of plain characters outside classes and escapes: every match contains it.
  let best = '';
  for (const run of last.split(/\[[^\]]*\]?|\\.?|[*?[\]]+/)) if (run.length > best.length) best = run;
  return best.length >= 2 ? { kind: 'filtered', key: best } : { kind: 'bare', key: '' };
}

/** The rules of one ignore file, indexed by what the last segment of each pattern can match. */
class RuleSet {
  private readonly rules: Rule[] = [];
  private readonly literal = new Map<string, number[]>();
  private readonly prefix = new Map<string, number[]>();
  private readonly suffix = new Map<string, number[]>();
  /** The distinct key lengths of `prefix` and `suffix`: the slices of a name worth looking up. */
  private readonly prefixLengths = new Set<number>();
  private readonly suffixLengths = new Set<number>();
  /** Indices tried for every path, ascending, each with the text a matching name must contain ('' for none). */
  private readonly other: number[] = [];
  private readonly otherKeys: string[] = [];
  /** The package's own matcher, when its internals are not what this expects. */
  private fallback: Ignore | null = null;

  /** Compiles `lines` (rule lines already cut to the caps) onto the set. */
  add(lines: string[]): void {
    const ig = ignore({ ignorecase: false }); // case-sensitive like git on Linux and ripgrep, everywhere
    ig.add(lines);
    const compiled = (ig as unknown as { _rules?: { _rules?: unknown } })._rules?._rules;
    if (this.fallback !== null || !Array.isArray(compiled) || !compiled.every(isPackageRule)) {
      this.fallback ??= ignore({ ignorecase: false });
      this.fallback.add(lines);
      return;
    }
    for (const r of compiled as PackageRule[]) this.push(r);
  }

  /** Whether this file's rules decide `sub` (relative to the file's directory; directories end in "/"). */
  verdict(sub: string, name: string, isDirectory: boolean): Verdict {
    if (this.fallback !== null) return this.fallback.test(sub);
    const basename = isDirectory ? `${name}/` : name;
    const lists: number[][] = [];
    const literal = this.literal.get(name);
    if (literal !== undefined) lists.push(literal);
    for (const n of this.prefixLengths) {
      const list = n <= name.length ? this.prefix.get(name.slice(0, n)) : undefined;
      if (list !== undefined) lists.push(list);
    }
    for (const n of this.suffixLengths) {
      const list = n <= name.length ? this.suffix.get(name.slice(name.length - n)) : undefined;
      if (list !== undefined) lists.push(list);
    }
    // The candidates, highest index first: the last matching rule decides.
    const indexed = lists.length === 0 ? NONE : lists.length === 1 ? lists[0]! : lists.flat().sort((a, b) => a - b);
    let i = indexed.length - 1;
    let j = this.other.length - 1;
    while (i >= 0 || j >= 0) {
      let index: number;
      if (j < 0 || (i >= 0 && indexed[i]! > this.other[j]!)) index = indexed[i--]!;
      else {
        const key = this.otherKeys[j]!;
        index = this.other[j--]!;
        if (key !== '' && !name.includes(key)) continue;
      }
      const rule = this.rules[index]!;
      if (rule.regex.test(rule.basenameOnly ? basename : sub)) return { ignored: !rule.negative, unignored: rule.negative };
    }
    return UNDECIDED;
  }

  private push(r: PackageRule): void {
    const index = this.rules.length;
    this.rules.push({ negative: r.negative, basenameOnly: r._basenameOnly, regex: r.regex });
    const { kind, key } = classify(r.body.endsWith('/') ? r.body.slice(0, -1) : r.body);
    switch (kind) {
      case 'literal':
        return into(this.literal, key, index);
      case 'suffix':
        into(this.suffix, key, index);
        this.suffixLengths.add(key.length);
        return;
      case 'prefix':
        into(this.prefix, key, index);
        this.prefixLengths.add(key.length);
        return;
      default:
        this.other.push(index);
        this.otherKeys.push(key);
    }
  }
}

const NONE: number[] = [];
const UNDECIDED: Verdict = { ignored: false, unignored: false };

function into(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else list.push(index);
}

function isPackageRule(r: unknown): boolean {
  const rule = r as Partial<PackageRule> | null;
  return rule !== null && typeof rule === 'object' && typeof rule.body === 'string' && typeof rule.negative === 'boolean' && rule.regex instanceof RegExp && typeof rule._basenameOnly === 'boolean';
}

/** Whether a line of an ignore file is a rule (git: not blank, not a comment). */
function isRuleLine(line: string): boolean {
  const t = line.trimEnd();
  return t !== '' && t[0] !== '#' && t !== '!';
}


/** A matcher for the entries of one directory (see `IgnoreRules.forDir`). */
export interface DirMatcher {
  isIgnored(name: string, isDirectory: boolean): boolean;
}

export class IgnoreRules {
  /** Directory ("" for the root) → the rules of the .gitignore file in it. */
  private readonly byDir = new Map<string, RuleSet>();
  private rules = 0;
  private wildcards = 0;
  private bare = 0;
  private readonly capped = { rules: 0, wildcards: 0, files: new Set<string>() };

  /**
   * Registers the text of `<dir>/.gitignore`, within the caps (see the file comment).
   * Compiles in batches, yielding to the event loop between them.
   */
  async add(dir: string, gitignoreText: string): Promise<void> {
    const set = new RuleSet();
    this.byDir.set(dir, set);
    // Git drops a byte-order mark before the first line.
    const lines = (gitignoreText.startsWith('\uFEFF') ? gitignoreText.slice(1) : gitignoreText).split('\n');
    let batch: string[] = [];
    let sliceStart = performance.now();
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      set.add(batch);
      batch = [];
      await nextTurn();
      sliceStart = performance.now();
    };
    for (let i = 0; i < lines.length; i++) {
      // Lines past a cap are only counted, but there can be 100,000 of them.
      if ((i & 1023) === 1023 && performance.now() - sliceStart > SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
      const raw = lines[i]!;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (!isRuleLine(line)) continue;
      if (this.rules >= MAX_IGNORE_RULES) {
        this.capped.rules++;
        this.capped.files.add(dir);
        continue;
      }
      const kind = classifyLine(line);
      if ((kind !== 'indexed' && this.wildcards >= MAX_WILDCARD_RULES) || (kind === 'bare' && this.bare >= MAX_BARE_WILDCARD_RULES)) {
        this.capped.wildcards++;
        this.capped.files.add(dir);
        continue;
      }
      this.rules++;
      if (kind !== 'indexed') this.wildcards++;
      if (kind === 'bare') this.bare++;
      batch.push(line);
      if (batch.length >= COMPILE_BATCH) await flush();
    }
    await flush();
  }

  get size(): number {
    return this.byDir.size;
  }

  /** What the caps left out, for the listing's notes (empty when nothing was). */
  notes(): string[] {
    const notes: string[] = [];
    const where = [...this.capped.files].map((d) => JSON.stringify(d === '' ? '.gitignore' : `${d}/.gitignore`)).slice(0, 5).join(', ');
    if (this.capped.rules > 0) {
      notes.push(
        `The ignore files hold more than ${MAX_IGNORE_RULES.toLocaleString('en-US')} rules; ${this.capped.rules.toLocaleString('en-US')} ` +
          `rules after that (in ${where}) are not applied, so files they would hide are listed.`,
      );
    }
    if (this.capped.wildcards > 0) {
      notes.push(
        `The ignore files hold more than ${MAX_WILDCARD_RULES.toLocaleString('en-US')} complex wildcard rules (or ${MAX_BARE_WILDCARD_RULES} with no literal text); ${this.capped.wildcards.toLocaleString('en-US')} ` +
          `after that (in ${where}) are not applied, so files they would hide are listed.`,
      );
    }
    return notes;
  }

  /**
   * Whether any .gitignore loaded so far governs entries of `relDir` (its own or an
   * ancestor's). The walker reads a directory only after its parent's .gitignore is loaded.
   */
  appliesWithin(relDir: string): boolean {
    return this.governing(relDir).length > 0;
  }

  /** A matcher for the entries of `relDir`, or null when no rules govern them. */
  forDir(relDir: string): DirMatcher | null {
    const sets = this.governing(relDir);
    if (sets.length === 0) return null;
    return {
      isIgnored: (name, isDirectory) => {
        let ignored = false;
        for (const { set, prefix } of sets) {
          const sub = prefix + name + (isDirectory ? '/' : '');
          const v = set.verdict(sub, name, isDirectory);
          if (v.ignored) ignored = true;
          else if (v.unignored) ignored = false;
        }
        return ignored;
      },
    };
  }

  /** Whether the entry `rel` ("a/b/c.ts") is ignored (the walker's question, for one path). */
  isIgnored(rel: string, isDirectory: boolean): boolean {
    const slash = rel.lastIndexOf('/');
    return this.forDir(slash < 0 ? '' : rel.slice(0, slash))?.isIgnored(rel.slice(slash + 1), isDirectory) ?? false;
  }

  /** The rule sets governing entries of `relDir`, shallowest first, each with the path from its directory. */
  private governing(relDir: string): Array<{ set: RuleSet; prefix: string }> {
    if (this.byDir.size === 0) return [];
    const out: Array<{ set: RuleSet; prefix: string }> = [];
    const parts = relDir === '' ? [] : relDir.split('/');
    for (let i = 0; i <= parts.length; i++) {
      const set = this.byDir.get(parts.slice(0, i).join('/'));
      if (set === undefined) continue;
      const rest = parts.slice(i).join('/');
      out.push({ set, prefix: rest === '' ? '' : `${rest}/` });
    }
    return out;
  }
}

/** How the caps count a rule line (mirrors `RuleSet.push`, judged from the line itself, escapes unprocessed). */
function classifyLine(line: string): 'indexed' | 'filtered' | 'bare' {
  let body = line.trimEnd();
  if (body.startsWith('!')) body = body.slice(1);
  if (body.endsWith('/')) body = body.slice(0, -1);
  const { kind } = classify(body);
  return kind === 'filtered' || kind === 'bare' ? kind : 'indexed';
}
