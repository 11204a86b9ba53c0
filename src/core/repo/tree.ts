/**
 * The indented directory view `tree()` and `summary()` print: directories first (with
 * how many files they hold, recursively), then files, two spaces per level, and a
 * bounded number of lines so a huge directory cannot flood the model's context. Built
 * from the listing alone; no file is opened or statted.
 *
 * Special files (named pipes, sockets, devices) appear among the files with what they are
 * in brackets, and do not count as files. Every name is shown through `displayName`: a
 * name holding a newline, another control character or a bidirectional control is shown
 * quoted and escaped, so no file name can forge a line of the tree.
 */
import { comparePaths } from './pathOrder';
import { displayName } from './pathGuard';
import { describeSpecial } from './fsAccess';
import type { SpecialKind } from './source';

export interface DirNode {
  dirs: Map<string, DirNode>;
  files: string[];
  /** Files in this directory and all below it. */
  count: number;
  /** Special files in this directory, by name (not counted in `count`). */
  special: Map<string, SpecialKind>;
}

const newNode = (): DirNode => ({ dirs: new Map(), files: [], count: 0, special: new Map() });

/**
 * The directory `base` ("" for the root) built from `files`; null when no file lies below
 * it. `folders` are top-level directories that exist even when empty (the folders of a
 * multi-root workspace): they show at the root, and as themselves, with 0 files.
 */
export function dirTree(
  files: readonly string[],
  base: string,
  folders: readonly string[] = [],
  special: ReadonlyMap<string, SpecialKind> = new Map(),
  /**
   * Directory levels below `base` built as nodes (default: all). A rendering to depth d needs
   * d: deeper files only add to their ancestors' counts, which keeps a 100,000-file summary
   * to a few milliseconds instead of building the whole tree.
   */
  maxDepth = Number.POSITIVE_INFINITY,
): DirNode | null {
  const root = newNode();
  if (base === '') for (const name of folders) root.dirs.set(name, newNode());
  const prefix = base === '' ? '' : `${base}/`;
  const place = (file: string, kind: SpecialKind | null): void => {
    if (!file.startsWith(prefix)) return;
    let node = root;
    if (kind === null) node.count++;
    let from = prefix.length;
    let level = 0;
    for (let slash = file.indexOf('/', from); slash !== -1; slash = file.indexOf('/', from)) {
      if (level >= maxDepth) return; // deeper than rendered: counted above, not listed
      const part = file.slice(from, slash);
      let child = node.dirs.get(part);
      if (child === undefined) node.dirs.set(part, (child = newNode()));
      if (kind === null) child.count++;
      node = child;
      from = slash + 1;
      level++;
    }
    const name = file.slice(from);
    if (kind === null) node.files.push(name);
    else node.special.set(name, kind);
  };
  for (const file of files) place(file, null);
  for (const [file, kind] of special) place(file, kind);
  const holds = root.count > 0 || root.special.size > 0 || root.dirs.size > 0;
  return holds || (base === '' ? root.dirs.size > 0 : folders.includes(base)) ? root : null;
}

export function fileCount(n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'file' : 'files'}`;
}

export interface RenderedTree {
  text: string;
  /** Entries (directory or file lines) within the depth that did not fit. */
  omitted: number;
}

/**
 * Renders `node` under the heading `label` down to `depth` levels (1 = its direct
 * entries only), with at most `maxEntries` entry lines. When not everything fits, the
 * budget goes breadth-first — all top-level entries before any second-level one, and so
 * on — so one huge directory cannot hide its siblings; directories left unexpanded
 * still show their file counts.
 */
export function renderTree(
  node: DirNode,
  label: string,
  depth: number,
  maxEntries: number,
  hint: string,
  /** Added to the heading's file count, e.g. " in 2 folders". */
  headingNote = '',
): RenderedTree {
  const sorted = new Map<DirNode, { dirs: string[]; files: string[] }>();
  const entriesOf = (dir: DirNode): { dirs: string[]; files: string[] } => {
    let e = sorted.get(dir);
    if (e === undefined) {
      e = { dirs: [...dir.dirs.keys()].sort(comparePaths), files: [...dir.files, ...dir.special.keys()].sort(comparePaths) };
      sorted.set(dir, e);
    }
    return e;
  };

  // How many of each directory's entries are shown, handed out level by level.
  const shown = new Map<DirNode, number>();
  let budget = maxEntries;
  let frontier = [node];
  for (let level = 1; level <= depth && budget > 0 && frontier.length > 0; level++) {
    const next: DirNode[] = [];
    for (const dir of frontier) {
      if (budget === 0) break;
      const { dirs, files } = entriesOf(dir);
      const take = Math.min(dirs.length + files.length, budget);
      shown.set(dir, take);
      budget -= take;
      for (let i = 0; i < Math.min(take, dirs.length); i++) next.push(dir.dirs.get(dirs[i])!);
    }
    frontier = next;
  }

  const countWithin = (dir: DirNode, level: number): number => {
    if (level > depth) return 0;
    let n = dir.files.length + dir.special.size + dir.dirs.size;
    for (const child of dir.dirs.values()) n += countWithin(child, level + 1);
    return n;
  };
  const omitted = countWithin(node, 1) - (maxEntries - budget);

  const lines = [`${displayName(label)}/ (${fileCount(node.count)}${headingNote})`];
  const walk = (dir: DirNode, level: number): void => {
    const take = shown.get(dir);
    if (take === undefined) return;
    const indent = '  '.repeat(level);
    const { dirs, files } = entriesOf(dir);
    for (let i = 0; i < take; i++) {
      if (i < dirs.length) {
        const child = dir.dirs.get(dirs[i])!;
        lines.push(`${indent}${displayName(dirs[i]!)}/ (${fileCount(child.count)})`);
        walk(child, level + 1);
      } else {
        const name = files[i - dirs.length]!;
        const kind = dir.special.get(name);
        lines.push(kind === undefined ? `${indent}${displayName(name)}` : `${indent}${displayName(name)}  [${describeSpecial(kind)}: never opened, cannot be read]`);
      }
    }
    const rest = dirs.length + files.length - take;
    if (rest > 0 && level > 1) lines.push(`${indent}… ${rest.toLocaleString('en-US')} more`);
  };
  walk(node, 1);
  if (omitted > 0) lines.push(`  … ${omitted.toLocaleString('en-US')} more entries not shown; ${hint}`);
  return { text: lines.join('\n'), omitted };
}
