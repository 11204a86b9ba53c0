/**
 * Cutting a grep's candidate files into consecutive parts that several rg processes search
 * at once, each in path order (`--sort path`), so that grep gets the speed of a parallel
 * search and still the deterministic cut-off at `maxResults`: the first k matches of the
 * whole are among the first k of each part, taken part after part (sourceGrep.ts).
 *
 * A part is named by the directories (and loose files) it covers, which rg walks as path
 * arguments. In `comparePaths` order every directory's files are contiguous, so any run of
 * sibling directories and files is a contiguous range of the candidates. A directory is
 * split into its children only while it holds more than a part's share, and never when it
 * has a .gitignore of its own (`keepWhole`): rg reads no ignore file above the paths it is
 * given (it must not read those above the workspace), so a walk must start at or above
 * every .gitignore that applies. The folder's root .gitignore is the exception: rg gets it
 * with `--ignore-file` (ripgrep.ts).
 *
 * Only the balance depends on this: rg may search more than a part's candidates (files of
 * its directories the listing leaves out), never less, and the view drops every line
 * outside the part's range. Parts are balanced by an estimate of rg's work: the files'
 * sizes (the listing measures them) plus a fixed cost per file (opening it); without
 * sizes, by file count.
 */

/** rg's cost of a file beyond its bytes (open, read, close), in bytes' worth. */
export const FILE_COST_BYTES = 16 * 1024;

export interface SearchPartition {
  /** Directories and files to walk, in path order (never the root itself). */
  readonly under: readonly string[];
  /** The part's candidates are `files[lo]` to `files[hi - 1]`. */
  readonly lo: number;
  readonly hi: number;
}

export interface PartitionOptions {
  /** How many parts to aim for. */
  parts: number;
  /** No partitioning below this many candidates. */
  minFiles: number;
  /** Longest path list one part may pass to rg (command lines are limited, 32 KiB on Windows). */
  maxArgChars: number;
  /** True for a directory that must be walked whole (it has a .gitignore of its own). */
  keepWhole(dir: string): boolean;
  /** Each file's size in bytes, in `files` order; null balances by count alone. */
  sizes: ArrayLike<number> | null;
}

/**
 * Parts of `files` (in `comparePaths` order) of about `files.length / parts` candidates
 * each, or null when one search is as good (few files, or a tree that does not split
 * within the limits).
 */
export function partitionFiles(files: readonly string[], options: PartitionOptions): SearchPartition[] | null {
  const n = files.length;
  if (n < options.minFiles || options.parts < 2) return null;
  // Prefix sums of the cost, so that any range's cost is one subtraction.
  const cost = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cost[i + 1] = cost[i]! + (options.sizes === null ? 1 : options.sizes[i]! + FILE_COST_BYTES);
  const costOf = (lo: number, hi: number): number => cost[hi]! - cost[lo]!;
  const share = cost[n]! / options.parts;
  const units: Array<{ root: string; lo: number; hi: number }> = [];
  // Depth-first over the directories, iteratively (a deep tree must not overflow the
  // stack); a file is a unit of its own.
  const stack: Array<{ dir: string; lo: number; hi: number; file: boolean }> = [{ dir: '', lo: 0, hi: n, file: false }];
  while (stack.length > 0) {
    const { dir, lo, hi, file } = stack.pop()!;
    if (file || (dir !== '' && (costOf(lo, hi) <= share || options.keepWhole(dir)))) {
      units.push({ root: dir, lo, hi });
      continue;
    }
    const base = dir === '' ? 0 : dir.length + 1;
    const children: Array<{ dir: string; lo: number; hi: number; file: boolean }> = [];
    for (let i = lo; i < hi; ) {
      const p = files[i]!;
      const slash = p.indexOf('/', base);
      if (slash < 0) {
        children.push({ dir: p, lo: i, hi: i + 1, file: true });
        i++;
        continue;
      }
      const child = p.slice(0, slash);
      const prefix = `${child}/`;
      // The directory's files are contiguous: find where they end by bisection, so a level
      // costs its number of entries, not its number of files.
      let a = i + 1;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (files[mid]!.startsWith(prefix)) a = mid + 1;
        else b = mid;
      }
      children.push({ dir: child, lo: i, hi: a, file: false });
      i = a;
    }
    // Pushed in reverse so that units come out in path order.
    for (let c = children.length - 1; c >= 0; c--) stack.push(children[c]!);
  }
  return group(units, share, costOf, options.maxArgChars);
}

function group(
  units: ReadonlyArray<{ root: string; lo: number; hi: number }>,
  share: number,
  costOf: (lo: number, hi: number) => number,
  maxArgChars: number,
): SearchPartition[] | null {
  const parts: SearchPartition[] = [];
  let under: string[] = [];
  let chars = 0;
  let lo = 0;
  let hi = 0;
  for (const unit of units) {
    if (under.length === 0) lo = unit.lo;
    under.push(unit.root);
    chars += unit.root.length + 1;
    hi = unit.hi;
    if (chars > maxArgChars) return null;
    if (costOf(lo, hi) >= share) {
      parts.push({ under, lo, hi });
      under = [];
      chars = 0;
    }
  }
  if (under.length > 0) parts.push({ under, lo, hi });
  return parts.length >= 2 ? parts : null;
}
