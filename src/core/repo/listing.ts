/**
 * The workspace listing: every file the repo API can see, computed once per repo snapshot
 * by a walk of our own. Listing reads directory entries only — no file contents and no
 * per-file stat — so a 100,000-file tree costs one readdir per directory. The only files
 * opened are the .gitignore files of directories that are entered, each the one safe way
 * (fsAccess.openInside) and at most `MAX_IGNORE_FILE_BYTES` of it.
 *
 * Why our own walker rather than fast-glob: fast-glob matched every entry against its
 * patterns and built an object per entry, and the listing then sorted 50,000 paths with
 * a comparator; on a 50,000-file tree that was 1.7-4× `rg --files`. Here each directory's
 * entries are sorted by name once (short strings), which puts the flattened depth-first
 * walk already in `comparePaths` order, and excludes and ignore rules are decided by
 * name per directory. It also gives the walk what a hostile tree needs: special files seen
 * from their directory entry and never opened, bounded work per turn of the event loop,
 * and a cap on the number of entries.
 *
 * - Ignored and excluded directories are pruned, not filtered afterwards: a directory's
 *   .gitignore is loaded before its entries are judged, and ignored directories are never
 *   read. Excludes of the form `**\/name/**` (node_modules, .git) are decided by name;
 *   other exclude globs with picomatch (a directory is pruned when a glob matches it).
 * - Symbolic links: linked directories are not followed (no cycles, no escapes, no
 *   duplicate trees — ripgrep does the same). A linked file is listed when its target is a
 *   regular file inside the workspace.
 * - Sockets, FIFOs and devices are never opened; they are kept apart in `special`, which
 *   the view shows in `tree()` and explains on `read()`. A link to one inside counts as one.
 * - Anything cut short (an ignore file over its cap, rules over theirs, an ignore file that
 *   is special or leads outside, unreadable directories, the entry cap) is said in `notes`.
 *
 * `DiskSource` normally runs this walk in the listing worker (listingPool.ts), with
 * synchronous directory reads and no slicing; on the host's thread (a wrapped `fs`, or no
 * worker) it reads asynchronously and yields every `sliceMs`.
 */
import * as path from 'node:path';
import type { Dirent } from 'node:fs';
import picomatch from 'picomatch';
import type { RepoFs, SpecialKind } from './fsAccess';
import { FileRefused, describeSpecial, openInside, readUpTo, specialKindOf } from './fsAccess';
import { IgnoreRules, MAX_IGNORE_FILE_BYTES } from './ignoreRules';
import { quotePath, relativeInside } from './pathGuard';
import { excludedDirNames } from './globMatch';
import { mapLimit } from './mapLimit';
import type { SourceListing } from './source';
import { formatBytes } from '../util/formatBytes';
import { SLICE_MS, nextTurn } from '../util/slices';

export interface ListingOptions {
  root: string;
  realRoot: string;
  exclude: readonly string[];
  useGitignore: boolean;
  fs: RepoFs;
  /** Most entries (files and special files) listed; the walk stops there and says so. */
  maxEntries?: number;
  /**
   * Longest stretch of synchronous work before yielding to the event loop (default SLICE_MS).
   * The listing worker, whose event loop serves nobody else, passes Infinity.
   */
  sliceMs?: number;
}

export interface DiskListing extends SourceListing {
  readonly special: ReadonlyMap<string, SpecialKind>;
  readonly notes: readonly string[];
}

/** Entries listed at most: a hostile tree of millions of files must not hold the host's memory. */
export const MAX_LISTED_ENTRIES = 1_000_000;
/**
 * Directory reads in flight on the host's thread: libuv's thread pool has four threads.
 * More queued did not make the walk faster (on a 50,000-file tree 8, 16 and 32 measured
 * 10-40% slower than 4) and would hold back every other file operation of the (shared)
 * extension host for longer.
 */
const CONCURRENCY = 4;
/** Notes kept at most (a hostile tree can hold thousands of FIFOs named .gitignore). */
const MAX_NOTES = 50;

interface DirNode {
  rel: string;
  abs: string;
  /** Regular files, links and special files kept, sorted by name (plain code-unit order). */
  files: string[];
  /** Subdirectories kept, sorted by name; `children[i]` is `dirs[i]`'s node. */
  dirs: string[];
  children: DirNode[];
  /**
   * The rare entries of `files` that are not plain regular files: links (resolved after the
   * walk), special files, and names Node could not decode ('undecodable', checked after).
   */
  odd: Map<string, SpecialKind | 'link' | 'undecodable'> | null;
}

export async function listWorkspace(options: ListingOptions): Promise<DiskListing> {
  const { root, realRoot, fs } = options;
  const maxEntries = options.maxEntries ?? MAX_LISTED_ENTRIES;
  const rules = options.useGitignore ? new IgnoreRules() : null;
  const notes: string[] = [];
  let notesDropped = 0;
  const note = (text: string): void => {
    if (notes.length < MAX_NOTES) notes.push(text);
    else notesDropped++;
  };
  const prunedNames = new Set(excludedDirNames(options.exclude));
  const otherExcludes = options.exclude.filter((glob) => excludedDirNames([glob]).length === 0);
  const excluded = otherExcludes.length > 0 ? picomatch(otherExcludes, { dot: true, windows: false, flags: 's' }) : null;
  const sep = path.sep;

  let entries = 0;
  let capped = false;
  let unreadable = 0;
  const links: Array<{ node: DirNode; name: string }> = [];

  const sliceMs = options.sliceMs ?? SLICE_MS;
  let sliceStart = performance.now();
  const busy = (): boolean => performance.now() - sliceStart > sliceMs;
  const yieldTurn = async (): Promise<void> => {
    await nextTurn();
    sliceStart = performance.now();
  };
  const maybeYield = (): Promise<void> | undefined => (busy() ? yieldTurn() : undefined);

  const loadIgnoreFile = async (node: DirNode, entry: Dirent): Promise<void> => {
    const rel = node.rel === '' ? '.gitignore' : `${node.rel}/.gitignore`;
    const kind = specialKindOf(entry);
    if (kind !== null) {
      note(`${quotePath(rel)} is ${describeSpecial(kind)}, not a file; it was not read, and its rules are not applied.`);
      return;
    }
    let text: string;
    try {
      const opened = await openInside(fs, realRoot, `${node.abs}${sep}.gitignore`, 'ignore-file');
      let bytes: Buffer;
      try {
        bytes = await readUpTo(opened.file, MAX_IGNORE_FILE_BYTES + 1, opened.size);
      } finally {
        await opened.file.close().catch(() => undefined);
      }
      if (bytes.length > MAX_IGNORE_FILE_BYTES) {
        // Cut at the last whole line within the cap, so no rule is applied half-read.
        const cut = bytes.lastIndexOf(10, MAX_IGNORE_FILE_BYTES - 1);
        bytes = bytes.subarray(0, cut < 0 ? 0 : cut + 1);
        note(`${quotePath(rel)} is larger than ${formatBytes(MAX_IGNORE_FILE_BYTES)}; only its first ${bytes.length.toLocaleString('en-US')} bytes (whole lines) of rules are applied.`);
      }
      text = bytes.toString('utf8');
    } catch (err) {
      if (err instanceof FileRefused && err.reason !== 'missing') {
        note(`${quotePath(rel)} ${err.reason === 'outside' ? 'is a symbolic link leading outside the workspace' : `is ${err.detail}`}; it was not read, and its rules are not applied.`);
      }
      return; // unreadable or vanished: as if absent
    }
    await rules!.add(node.rel, text);
  };

  const visit = async (node: DirNode, all: Dirent[]): Promise<DirNode[]> => {
    if (rules !== null) {
      const ignoreFile = all.find((e) => e.name === '.gitignore' && !e.isDirectory());
      if (ignoreFile !== undefined) await loadIgnoreFile(node, ignoreFile);
    }
    const matcher = rules?.forDir(node.rel) ?? null;
    const prefix = node.rel === '' ? '' : `${node.rel}/`;
    const { files, dirs } = node;
    for (let i = 0; i < all.length; i++) {
      if ((i & 255) === 255 && busy()) await yieldTurn();
      const e = all[i]!;
      const name = e.name;
      let odd: SpecialKind | 'link' | 'undecodable' | null = null;
      const isDir = e.isDirectory();
      if (isDir) {
        if (prunedNames.has(name)) continue;
      } else if (!e.isFile()) {
        odd = e.isSymbolicLink() ? 'link' : specialKindOf(e);
        if (odd === null) continue; // a type the platform cannot tell: not listed
      }
      // Node decodes names as UTF-8, turning invalid bytes into U+FFFD: such a name cannot
      // be opened again. Checked after the walk (a real U+FFFD in a name is kept).
      if (!isDir && odd === null && name.includes('\uFFFD')) odd = 'undecodable';
      if (excluded !== null && excluded(prefix + name)) continue;
      if (matcher !== null) {
        let ignored: boolean;
        try {
          ignored = matcher.isIgnored(name, isDir);
        } catch {
          ignored = false; // a name the rules cannot judge: kept, as git would
        }
        if (ignored) continue;
      }
      if (isDir) {
        dirs.push(name);
        continue;
      }
      if (entries >= maxEntries) {
        capped = true;
        continue;
      }
      entries++;
      files.push(name);
      if (odd !== null) (node.odd ??= new Map()).set(name, odd);
    }
    // Code-unit order, which for names (no "/") is `comparePaths` order.
    node.files = await sortNames(files, maybeYield);
    node.dirs = await sortNames(dirs, maybeYield);
    const children = node.dirs.map((name) => newNode(prefix + name, `${node.abs}${sep}${name}`));
    node.children = children;
    if (node.odd !== null) for (const [name, kind] of node.odd) if (kind === 'link' || kind === 'undecodable') links.push({ node, name });
    return children;
  };

  const top = newNode('', root);
  await new Promise<void>((resolve, reject) => {
    const queue: DirNode[] = [top];
    let active = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && active < CONCURRENCY && queue.length > 0) {
        const node = queue.pop()!;
        if (capped) continue;
        active++;
        fs.readdir(node.abs, { withFileTypes: true }, (err, all) => {
          const work = err !== null ? Promise.resolve<DirNode[]>((unreadable++, [])) : visit(node, all);
          work.then(
            (children) => {
              active--;
              for (let i = children.length - 1; i >= 0; i--) queue.push(children[i]!);
              pump();
            },
            (error: unknown) => {
              failed = true;
              reject(error);
            },
          );
        });
      }
      if (!failed && active === 0 && queue.length === 0) resolve();
    };
    pump();
  });

  // Linked entries: listed when they lead to a regular file (or a special file) inside.
  let undecodable = 0;
  const resolved = await mapLimit(links, 32, async ({ node, name }) => {
    if (node.odd?.get(name) === 'undecodable') {
      const exists = await fs.lstat(`${node.abs}${sep}${name}`).then(() => true, () => false);
      if (!exists) undecodable++;
      return exists ? ('file' as const) : null;
    }
    try {
      const real = await fs.realpath(`${node.abs}${sep}${name}`);
      if (relativeInside(realRoot, real) === null) return null;
      const stats = await fs.stat(real);
      return stats.isFile() ? ('file' as const) : specialKindOf(stats);
    } catch {
      return null; // broken link
    }
  });
  const linkTargets = new Map<DirNode, Map<string, 'file' | SpecialKind | null>>();
  links.forEach(({ node, name }, i) => {
    let m = linkTargets.get(node);
    if (m === undefined) linkTargets.set(node, (m = new Map()));
    m.set(name, resolved[i]!);
  });

  // Depth-first, each directory's files and subdirectories merged in name order: exactly
  // `comparePaths` order (a directory "a" before "a-b" and "a.txt", as "a/…" sorts first).
  const files: string[] = [];
  const linked = new Set<string>();
  const special = new Map<string, SpecialKind>();
  const emit = (node: DirNode, name: string): void => {
    const rel = node.rel === '' ? name : `${node.rel}/${name}`;
    const odd = node.odd?.get(name);
    if (odd === undefined) files.push(rel);
    else if (odd === 'undecodable') {
      if (linkTargets.get(node)?.get(name) === 'file') files.push(rel);
    } else if (odd !== 'link') special.set(rel, odd);
    else {
      const target = linkTargets.get(node)?.get(name) ?? null;
      if (target === 'file') {
        files.push(rel);
        linked.add(rel);
      } else if (target !== null) special.set(rel, target);
    }
  };
  const stack: Array<{ node: DirNode; f: number; d: number }> = [{ node: top, f: 0, d: 0 }];
  for (let step = 1; stack.length > 0; step++) {
    if ((step & 4095) === 0) await maybeYield();
    const frame = stack[stack.length - 1]!;
    const { node } = frame;
    const file = node.files[frame.f];
    const dir = node.dirs[frame.d];
    if (file === undefined && dir === undefined) {
      stack.pop();
    } else if (dir === undefined || (file !== undefined && file < dir)) {
      frame.f++;
      emit(node, file!);
    } else {
      stack.push({ node: node.children[frame.d++]!, f: 0, d: 0 });
    }
  }

  // The walk's own notes first (a summary shows only the first few), then the per-file ones.
  const walkNotes: string[] = [];
  if (capped) walkNotes.push(`The workspace has more than ${maxEntries.toLocaleString('en-US')} files; the listing stopped there, so some files are not listed.`);
  if (rules !== null) walkNotes.push(...rules.notes());
  if (undecodable > 0) walkNotes.push(`${undecodable.toLocaleString('en-US')} ${undecodable === 1 ? 'file has a name' : 'files have names'} that ${undecodable === 1 ? 'is' : 'are'} not valid UTF-8 and cannot be named here; ${undecodable === 1 ? 'it is' : 'they are'} not listed.`);
  if (unreadable > 0) walkNotes.push(`${unreadable.toLocaleString('en-US')} ${unreadable === 1 ? 'directory' : 'directories'} could not be read (no permission, or removed during the walk); ${unreadable === 1 ? 'its' : 'their'} files are not listed.`);
  if (notesDropped > 0) notes.push(`… and ${notesDropped.toLocaleString('en-US')} more notes like these.`);
  return { files, links: linked, special, notes: [...walkNotes, ...notes] };
}

/** Names sorted a run at a time, with turns of the event loop between runs and merges (a directory can hold 100,000 names). */
const SORT_RUN = 4096;

async function sortNames(names: string[], maybeYield: () => Promise<void> | undefined): Promise<string[]> {
  if (names.length <= SORT_RUN) return names.sort();
  let runs: string[][] = [];
  for (let i = 0; i < names.length; i += SORT_RUN) {
    runs.push(names.slice(i, i + SORT_RUN).sort());
    await maybeYield();
  }
  while (runs.length > 1) {
    const next: string[][] = [];
    for (let i = 0; i < runs.length; i += 2) next.push(i + 1 < runs.length ? await merge(runs[i]!, runs[i + 1]!, maybeYield) : runs[i]!);
    runs = next;
  }
  return runs[0]!;
}

async function merge(a: string[], b: string[], maybeYield: () => Promise<void> | undefined): Promise<string[]> {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < out.length; k++) {
    if ((k & 4095) === 4095) await maybeYield();
    out[k] = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
  }
  return out;
}

function newNode(rel: string, abs: string): DirNode {
  return { rel, abs, files: [], dirs: [], children: [], odd: null };
}
