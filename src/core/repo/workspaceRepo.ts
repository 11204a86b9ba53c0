/**
 * `WorkspaceRepo`: the `Repo` the sandbox explores, a view over a `WorkspaceSource`
 * (source.ts). `new WorkspaceRepo(rootDir, options)` is the one-folder-on-disk case;
 * `new WorkspaceRepo(source, options)` takes any source: several folders
 * (`MultiRootSource`), unsaved editor text (`OverlaySource`), the editor's own.
 *
 * The view owns what the REPL does with the text: globs, tree, clusters, summary, line
 * ranges, subsets, grep orchestration (the source's search when it has one, the
 * JavaScript grep otherwise, the JavaScript regex judging both) and the path guard. Every
 * file operation goes through the same gate (`resolveFile`): path normalised and kept
 * inside the workspace, not leading out through a link (asked of the source), present in
 * the listing (so .gitignore'd and excluded files are as invisible to `read` as to
 * `files`), and inside the subset for a sub-repo.
 *
 * Everything is lazy and then cached in a snapshot (snapshot.ts): nothing is touched by
 * the constructor beyond the source's own checks; the first call that needs the listing
 * walks the folders once. `subset` and `observe` views share the snapshot; `fresh()`
 * starts a new one. Reads are reported to the view's read log, or to its observer for a
 * view made by `observe()`.
 */
import * as path from 'node:path';
import type {
  ClustersOptions,
  FileCluster,
  FileInfo,
  FileStat,
  FilesOptions,
  GrepMatch,
  GrepOptions,
  ReadOptions,
  ReadRecord,
  Repo,
  RepoSummary,
  TreeOptions,
} from './types';
import { RepoError } from './types';
import type { SpecialKind, WorkspaceSource } from './source';
import { DiskSource, type DiskSourceOptions } from './diskSource';
import { DEFAULT_MAX_SCAN_BYTES, Snapshot, mapLimit } from './snapshot';
import { displayName, normalizeRelPath, quotePath, relativeInside } from './pathGuard';
import { describeSpecial } from './fsAccess';
import { comparePaths } from './pathOrder';
import { checkInclude } from './globMatch';
import { hasBinaryExtension } from './binary';
import { invalidPatternMessage, refuseRiskyPattern } from './grepText';
import { countLines, decodeUtf8, stripBom } from './lines';
import { jsGrep } from './jsGrep';
import { sourceGrep } from './sourceGrep';
import { GrepCancelled, LineJudge, cancelledError, stoppedError, type WholeLines } from './lineJudge';
import { GrepWorkerPool, WorkCancelled, WorkerJobError, WorkerOverrun, sharedGrepWorkers, workBudget, type WorkBudget } from './grepWorkerPool';
import type { PatternSpec } from './grepProtocol';
import { partitionFiles, type SearchPartition } from './partitions';
import { ripgrepProcessLimit } from './ripgrep';
import { Slots } from './slots';
import { dirTree, renderTree } from './tree';
import { buildClusters } from './clusters';
import { isTextLanguage, languageBreakdown, languageOf } from './languages';
import { forEachSliced, mapSliced, nextTurn } from '../util/slices';
import { formatBytes } from '../util/formatBytes';

export { DEFAULT_EXCLUDE } from './diskSource';

/** Options of the view, whatever its source. */
export interface ViewOptions {
  /** Display name; defaults to the folder's name, or "workspace" for several folders. */
  name?: string;
  /** Largest file a whole-file `read` returns (default 8 MiB); bigger files must be read by line range. Also the longest line a read keeps whole. */
  maxReadBytes?: number;
  /** Bytes a read by line range or a line count scans at most in a big file (default 256 MiB); past that, a count is an estimate. */
  maxScanBytes?: number;
  /** Where read ranges are recorded; pass one to share a log between repos. */
  readLog?: ReadRecord[];
}

/** `new WorkspaceRepo(rootDir, options)`: a `DiskSource` over `rootDir` and a view over it. */
export interface RepoOptions extends DiskSourceOptions, ViewOptions {}

export const DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_RESULTS = 200;
export const MAX_RESULTS_CAP = 5000;
export const DEFAULT_TREE_DEPTH = 2;
export const TREE_MAX_ENTRIES = 200;
export const DEFAULT_CLUSTER_CHARS = 100_000;
const SUMMARY_TREE_DEPTH = 2;
const SUMMARY_TREE_ENTRIES = 40;
const SUMMARY_LANGUAGES = 10;
/** Listing notes shown in the summary at most (a hostile tree can produce thousands). */
const MAX_NOTES = 5;
const MULTI_ROOT_NAME = 'workspace';

export type GrepEngine = 'ripgrep' | 'js';

/** Internal: what a derived view (subset, observe, fresh) is made of. */
const VIEW = Symbol('WorkspaceRepo.view');
interface ViewState {
  source: WorkspaceSource;
  snapshot: Snapshot;
  name: string;
  /** Null for the whole workspace; set for a `subset` view. */
  scope: Scope | null;
  sink: ReadSink;
}
interface Scope {
  /** The include lists of nested subsets, outermost first: a file is in scope when every one holds it. */
  includes: ReadonlyArray<readonly string[]>;
  /** The include list, for error messages. */
  description: string;
}
/** Where a view's reads go: its log, and its observer when it was made by `observe()`. */
interface ReadSink {
  log: ReadRecord[];
  onRead: ((record: ReadRecord) => void) | null;
}

export class WorkspaceRepo implements Repo {
  readonly name: string;
  /** Which engine answered the last `grep` call (null before the first). */
  lastGrepEngine: GrepEngine | null = null;

  private readonly source: WorkspaceSource;
  private readonly snapshot: Snapshot;
  private readonly scope: Scope | null;
  private readonly sink: ReadSink;
  private scopedFilesPromise: Promise<readonly string[]> | undefined;
  private scopedSetPromise: Promise<ReadonlySet<string>> | undefined;
  private grepCandidatesPromise: Promise<GrepCandidates> | undefined;
  private readonly globSelections = new Map<string, Promise<{ candidates: GrepCandidates; includeGlobs: string[] | null }>>();

  constructor(root: string, options?: RepoOptions);
  constructor(source: WorkspaceSource, options?: ViewOptions);
  constructor(where: string | WorkspaceSource, options: RepoOptions = {}) {
    const state = (options as { [VIEW]?: ViewState })[VIEW] ?? initialState(where, options);
    this.source = state.source;
    this.snapshot = state.snapshot;
    this.name = state.name;
    this.scope = state.scope;
    this.sink = state.sink;
  }

  /** Where the workspace is: the folder's root (the first folder's, with several; see `folders`). */
  get root(): string {
    return this.source.folders[0]!.root;
  }

  /** The folders, with the names their paths start with when there are several. */
  get folders(): ReadonlyArray<{ name: string; root: string }> {
    return this.source.folders;
  }

  get readLog(): ReadRecord[] {
    return this.sink.log;
  }

  /** The rg binary grep will try, or null when it uses the JavaScript grep. */
  get ripgrepPath(): string | null {
    return this.source.ripgrepPath ?? null;
  }

  /** The guest's glob is matched in the grep worker, under a deadline (see selectIndices). */
  async files(glob?: string | readonly string[], options: FilesOptions = {}): Promise<string[]> {
    const all = await this.scopedFiles();
    const selected = glob === undefined ? all.slice() : [...(await this.selectPaths(glob, all, 'files()'))];
    return options.limit === undefined ? selected : selected.slice(0, options.limit);
  }

  async read(file: string, options: ReadOptions = {}): Promise<string> {
    const { start, end } = options;
    if (start !== undefined && end !== undefined && start > end) {
      throw new RepoError(`read(): start (${start}) is after end (${end}); the range is inclusive, start <= end.`);
    }
    const rel = await this.resolveFile(file);
    const maxBytes = this.snapshot.maxReadBytes;
    if (hasBinaryExtension(rel)) return this.binaryNotice(rel);

    if (start === undefined && end === undefined) {
      // One open: the bytes come with their size, and the binary test is made on them.
      const bytes = await this.snapshot.bytes(rel);
      if (bytes === null) {
        if (await this.snapshot.isBinary(rel)) return this.binaryNotice(rel);
        const size = await this.snapshot.size(rel);
        throw new RepoError(
          `${quotePath(rel)} is ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} a whole-file read returns; ` +
            `read a line range instead, e.g. repo.read(${JSON.stringify(rel)}, { start: 1, end: 2000 }).`,
        );
      }
      if (this.snapshot.noteBinary(rel, bytes)) return this.binaryNotice(rel);
      // Counted on the bytes and CRLF replaced only when there is a CR: an 8 MiB file costs one decode.
      const lineCount = (await countLines([bytes])).lines;
      if (lineCount > 0) this.record(rel, 1, lineCount, 'read');
      const text = stripBom(decodeUtf8(bytes));
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(13) ? text.replace(/\r\n/g, '\n') : text;
    }

    const first = start ?? 1;
    const last = end ?? Number.POSITIVE_INFINITY;
    const lines: string[] = [];
    let chars = 0;
    let tooMuch = false;
    // Stops at the range's end; a file too big to hold is streamed, never held whole.
    const scan = await this.snapshot.scanText(rel, (line, n) => {
      if (n >= first) {
        // The first line always fits (a long one arrives cut at maxReadBytes); after it the range must.
        if (lines.length > 0 && chars + line.length + 1 > maxBytes) {
          tooMuch = true;
          return false;
        }
        lines.push(line);
        chars += line.length + 1;
      }
      return n < last;
    });
    if (scan === 'binary') return this.binaryNotice(rel);
    if (tooMuch) {
      throw new RepoError(
        `Lines ${first}-${end ?? 'end'} of ${quotePath(rel)} come to more than ${formatBytes(maxBytes)}; read a smaller range ` +
          `(lines ${first}-${first + lines.length - 1} fit).`,
      );
    }
    if (first > scan.lines) {
      if (scan.truncated) {
        throw new RepoError(
          `Line ${first.toLocaleString('en-US')} of ${quotePath(rel)} is beyond the first ${formatBytes(this.snapshot.maxScanBytes)} of the file, ` +
            `which is as far as a read by line goes (that part holds ${scan.lines.toLocaleString('en-US')} lines). ` +
            'Use repo.grep() with a glob naming this file to find what you need in it.',
        );
      }
      throw new RepoError(
        scan.lines === 0
          ? `${quotePath(rel)} is empty (0 lines).`
          : `Line ${first} is past the end of ${quotePath(rel)}, which has ${scan.lines.toLocaleString('en-US')} lines.`,
      );
    }
    this.record(rel, first, first + lines.length - 1, 'read');
    return lines.join('\n');
  }

  /**
   * Lines matching a JavaScript regex (see types.ts). The pattern and the glob are the
   * guest's: they are compiled and run only in the grep worker, under a deadline
   * (grepWorkerPool.ts); this thread lists, reads and merges. `signal` (the host's, never
   * the guest's) cancels the call: its rg processes are killed and its worker jobs dropped.
   */
  async grep(pattern: string, options: GrepOptions = {}, signal?: AbortSignal): Promise<GrepMatch[]> {
    refuseRiskyPattern(pattern);
    // A guest's Promise.all of hundreds of greps arrives in one turn of the event loop:
    // only a few at a time go on, so that their setup and their worker jobs never pile up
    // in one turn (each waits here at the cost of one queued callback).
    if (!(await greps.acquire(signal))) throw cancelledError(pattern);
    try {
      return await this.grepNow(pattern, options, signal);
    } finally {
      greps.release();
    }
  }

  private async grepNow(pattern: string, options: GrepOptions, signal: AbortSignal | undefined): Promise<GrepMatch[]> {
    const ignoreCase = options.ignoreCase === true;
    const maxResults = Math.min(options.maxResults ?? DEFAULT_MAX_RESULTS, MAX_RESULTS_CAP);
    const spec = { pattern, flags: ignoreCase ? 'i' : '' };
    const pool = sharedGrepWorkers();
    const budget = workBudget();
    const jobs = { signal, budget };
    const cancelled = (): Error => cancelledError(pattern);
    if (signal?.aborted) throw cancelled();

    const [compileError, all] = await Promise.all([compileCheck(pool, spec, jobs), this.grepCandidates()]);
    if (compileError !== null) throw new RepoError(invalidPatternMessage(pattern, compileError));

    let candidates = all;
    let includeGlobs: string[] | null = null;
    if (options.glob !== undefined) {
      let selected;
      for (;;) {
        try {
          selected = await this.selectByGlob(options.glob, all, jobs);
          break;
        } catch (err) {
          // A selection shared with a grep that was cancelled: select again for this one.
          if (!(err instanceof GrepCancelled) || signal?.aborted) throw err;
        }
      }
      candidates = selected.candidates;
      includeGlobs = selected.includeGlobs;
    }
    const files = candidates.files;

    let matches: GrepMatch[] | null = null;
    const search = this.source.search;
    const newJudge = (wholeLines?: (path: string, lines: readonly number[]) => Promise<WholeLines | null>, onProgress?: () => void): LineJudge =>
      new LineJudge({ pool, spec, limit: maxResults, budget, signal, wholeLines, onProgress });
    try {
      if (search !== undefined && files.length > 0) {
        const narrow = this.scope !== null || options.glob !== undefined;
        // A few candidates (a sub-repo, a narrow glob): name them instead of walking the tree.
        const explicit = narrow && joinedLength(files) <= EXPLICIT_PATHS_CHARS;
        const result = await sourceGrep({
          search,
          snapshot: this.snapshot,
          files,
          index: candidates.index,
          query: { pattern, ignoreCase, includeGlobs, paths: explicit ? files : null },
          partitions: explicit ? null : await candidates.partitions(),
          maxResults,
          judge: newJudge,
          signal,
        });
        if (Array.isArray(result)) {
          matches = result;
          this.lastGrepEngine = 'ripgrep';
        }
      }
      if (signal?.aborted) throw cancelled();
      if (matches === null) {
        matches = await jsGrep({ snapshot: this.snapshot, files, judge: newJudge(), signal, cancelled });
        this.lastGrepEngine = 'js';
      }
    } catch (err) {
      throw signal?.aborted ? cancelled() : err;
    }
    matches.sort((a, b) => comparePaths(a.path, b.path) || a.line - b.line);
    if (matches.length > maxResults) matches.length = maxResults;
    for (const m of matches) this.record(m.path, m.line, m.line, 'grep');
    return matches;
  }

  /** What grep searches: the listing in this view's scope, minus symbolic links and binary names; cached. */
  private grepCandidates(): Promise<GrepCandidates> {
    this.grepCandidatesPromise ??= Promise.all([this.scopedFiles(), this.snapshot.listing()]).then(
      async ([files, listing]) => {
        // Symbolic links are not searched (their targets in the workspace are), nor files
        // binary by name; files binary by content are dropped as they are met.
        const candidates: string[] = [];
        await forEachSliced(files.length, (i) => {
          const f = files[i]!;
          if (!listing.links.has(f) && !hasBinaryExtension(f)) candidates.push(f);
        });
        return grepCandidateListSliced(candidates, listing.set, this.source.folders, this.snapshot);
      },
      (err: unknown) => {
        this.grepCandidatesPromise = undefined;
        throw err;
      },
    );
    return this.grepCandidatesPromise;
  }

  /**
   * The candidates a grep glob selects, matched in the grep worker (a glob compiles to a
   * regex). The last few selections are kept: a model often greps the same glob again.
   */
  private selectByGlob(
    glob: string | readonly string[],
    all: GrepCandidates,
    jobs: { signal?: AbortSignal; budget: WorkBudget },
  ): Promise<{ candidates: GrepCandidates; includeGlobs: string[] | null }> {
    const key = JSON.stringify(glob);
    const kept = this.globSelections.get(key);
    if (kept !== undefined) {
      this.globSelections.delete(key);
      this.globSelections.set(key, kept); // most recently used last
      return kept;
    }
    const selection = this.selectNow(glob, all, jobs);
    this.globSelections.set(key, selection);
    if (this.globSelections.size > GLOB_SELECTIONS_KEPT) this.globSelections.delete(this.globSelections.keys().next().value!);
    selection.catch(() => this.globSelections.delete(key)); // failures (and cancellations) are not kept
    return selection;
  }

  private async selectNow(
    glob: string | readonly string[],
    all: GrepCandidates,
    jobs: { signal?: AbortSignal; budget: WorkBudget },
  ): Promise<{ candidates: GrepCandidates; includeGlobs: string[] | null }> {
    const files = all.files;
    const { at, includeGlobs } = await selectIndices(glob, files, 'grep()', false, jobs);
    const selected = at.map((i) => files[i]!);
    const listing = await this.snapshot.listing();
    return {
      candidates: await grepCandidateListSliced(selected, listing.set, this.source.folders, this.snapshot, { candidates: all, at: Int32Array.from(at) }),
      includeGlobs,
    };
  }

  async tree(dir?: string, options: TreeOptions = {}): Promise<string> {
    const depth = options.depth ?? DEFAULT_TREE_DEPTH;
    const rel = dir === undefined ? '' : this.normalize(dir);
    const files = await this.scopedFiles();
    const special = await this.scopedSpecial();
    const node = dirTree(files, rel, this.wholeFolders(), special, depth);
    if (node === null) {
      if (rel === '') return `${displayName(this.name)}/ (0 files)`;
      if (files.includes(rel) || special.has(rel)) {
        throw new RepoError(`${quotePath(rel)} is a file, not a directory; use repo.read(${JSON.stringify(rel)}) to see it.`);
      }
      throw new RepoError(`No directory ${quotePath(rel)} in ${this.where()}. Use repo.tree() to see the top level.`);
    }
    const hint = `use repo.tree("<subdirectory>") or repo.files(${quotePath(`${rel === '' ? '' : `${rel}/`}**/*.ext`)}) to see more.`;
    return renderTree(node, rel === '' ? this.name : rel, depth, TREE_MAX_ENTRIES, hint).text;
  }

  async stat(file: string): Promise<FileStat> {
    const rel = await this.resolveFile(file);
    const { size, lines } = await this.snapshot.facts(rel);
    if (lines === null) return { path: rel, bytes: size, lines: null };
    return lines.estimated ? { path: rel, bytes: size, lines: lines.lines, linesEstimated: true } : { path: rel, bytes: size, lines: lines.lines };
  }

  async info(file: string): Promise<FileInfo> {
    const rel = await this.resolveFile(file);
    return { path: rel, bytes: await this.snapshot.size(rel), binary: await this.snapshot.isBinary(rel) };
  }

  async clusters(glob?: string | readonly string[], options: ClustersOptions = {}): Promise<FileCluster[]> {
    const maxChars = options.maxChars ?? DEFAULT_CLUSTER_CHARS;
    const all = await this.scopedFiles();
    // Every step is a pass over every file (37,000 of them in a big workspace): in slices, the
    // guest's glob in the grep worker.
    const selected = glob === undefined ? all : await this.selectPaths(glob, all, 'clusters()');
    // Binary files are left out: by extension, and by a sniff only for files whose extension
    // says nothing (a .ts file is taken as text without opening 37,000 of them; should one hold
    // NUL bytes, reading it says so).
    const kinds = await mapSliced(selected, (f) => (hasBinaryExtension(f) ? 'binary' : isTextLanguage(f) ? 'text' : 'unsure'));
    const unsure = selected.filter((_, i) => kinds[i] === 'unsure');
    const sniffed = await mapLimit(unsure, 32, (f) => this.snapshot.isBinary(f).catch(() => true));
    const binary = new Set(unsure.filter((_, i) => sniffed[i]));
    const text = selected.filter((f, i) => kinds[i] !== 'binary' && !binary.has(f));
    const sizes = await this.snapshot.sizesOf(text);
    return buildClusters(await mapSliced(text, (p, i) => ({ path: p, bytes: sizes[i]! })), maxChars);
  }

  /**
   * What every grep of this view needs from the listing, made ahead of the first: the
   * candidates (listing minus links and binary names, indexed) and the parallel parts,
   * about 30 ms of sliced work on a 50,000-file tree. `summary()` starts it, so that in a run
   * it is done while the model writes its first cell. Never rejects (a grep would then
   * meet the error itself).
   */
  prepareSearch(): Promise<void> {
    return this.grepCandidates().then(
      (c) => c.partitions().then(() => undefined),
      () => undefined,
    );
  }

  async summary(): Promise<RepoSummary> {
    const files = await this.scopedFiles();
    const special = await this.scopedSpecial();
    const sizes = await this.snapshot.sizesOf(files);
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    // Each step below is one pass over every file: give the event loop a turn between them.
    await nextTurn();
    const languages = languageBreakdown(await mapSliced(files, (p, i) => ({ path: p, bytes: sizes[i]!, language: languageOf(p) })), SUMMARY_LANGUAGES);
    await nextTurn();
    const node = dirTree(files, '', this.wholeFolders(), special, SUMMARY_TREE_DEPTH);
    const note = this.source.folders.length > 1 ? '; every path starts with its folder name' : '';
    const notes = await this.listingNotes(special);
    const tree =
      node === null
        ? `${displayName(this.name)}/ (0 files)`
        : renderTree(node, this.name, SUMMARY_TREE_DEPTH, SUMMARY_TREE_ENTRIES, 'use repo.tree() for more.', note).text;
    // The notes ride along with the layout, so they reach the model's first prompt and the user.
    const topLevelTree = notes.length === 0 ? tree : `${tree}\n${notes.map((n) => `Note: ${n}`).join('\n')}`;
    void this.prepareSearch();
    const folders = this.source.folders.map((f) => f.name);
    return { name: this.name, folders, fileCount: files.length, totalBytes, languages, topLevelTree, notes };
  }

  /**
   * A view of the files `include` selects. The include list is the guest's: it is checked here
   * and matched in the grep worker, under a deadline, when the view first lists.
   */
  subset(include: readonly string[]): WorkspaceRepo {
    checkInclude(include, 'subset()');
    const outer = this.scope;
    return this.derive({
      scope: {
        includes: [...(outer?.includes ?? []), [...include]],
        description: JSON.stringify(include) + (outer === null ? '' : ` within ${outer.description}`),
      },
    });
  }

  observe(onRead: (record: ReadRecord) => void): WorkspaceRepo {
    return this.derive({ sink: { log: [], onRead } });
  }

  fresh(): WorkspaceRepo {
    return this.derive({ snapshot: new Snapshot(this.source, this.snapshot.maxReadBytes, this.snapshot.maxScanBytes) });
  }

  private derive(changes: Partial<ViewState>): WorkspaceRepo {
    const state: ViewState = {
      source: this.source,
      snapshot: this.snapshot,
      name: this.name,
      scope: this.scope,
      sink: this.sink,
      ...changes,
    };
    return new WorkspaceRepo(this.source, { [VIEW]: state } as ViewOptions);
  }

  private record(file: string, start: number, end: number, via: ReadRecord['via']): void {
    const record: ReadRecord = { path: file, start, end, via };
    if (this.source.isUnsaved?.(file) === true) record.unsaved = true;
    this.sink.log.push(record);
    this.sink.onRead?.(record);
  }

  /** The listing, restricted to this view's subset. */
  private scopedFiles(): Promise<readonly string[]> {
    if (this.scopedFilesPromise === undefined) {
      const files = this.snapshot.listing().then((listing) => this.inScope(listing.files));
      files.catch(() => (this.scopedFilesPromise = undefined)); // let a later call retry
      this.scopedFilesPromise = files;
    }
    return this.scopedFilesPromise;
  }

  /** The scoped files as a set, for membership checks. */
  private scopedSet(): Promise<ReadonlySet<string>> {
    if (this.scope === null) return this.snapshot.listing().then((l) => l.set);
    if (this.scopedSetPromise === undefined) {
      const set = this.scopedFiles().then((files): ReadonlySet<string> => new Set(files));
      set.catch(() => (this.scopedSetPromise = undefined));
      this.scopedSetPromise = set;
    }
    return this.scopedSetPromise;
  }

  /** The special files of the listing, restricted to this view's subset. */
  private async scopedSpecial(): Promise<ReadonlyMap<string, SpecialKind>> {
    const { special } = await this.snapshot.listing();
    if (this.scope === null || special.size === 0) return special;
    const kept = new Set(await this.inScope([...special.keys()]));
    return new Map([...special].filter(([p]) => kept.has(p)));
  }

  /** Those of `paths` (in order) that every include list of this view's subset selects. */
  private async inScope(paths: readonly string[]): Promise<readonly string[]> {
    let kept = paths;
    for (const include of this.scope?.includes ?? []) kept = await this.selectPaths(include, kept, 'subset()', true);
    return kept;
  }

  /** `paths` (in order) that a guest's glob selects, matched in the grep worker. */
  private async selectPaths(glob: string | readonly string[], paths: readonly string[], call: string, include = false): Promise<readonly string[]> {
    const { at } = await selectIndices(glob, paths, call, include, { budget: workBudget() });
    return at.map((i) => paths[i]!);
  }

  /** What the listing could not do as configured, and the special files, in words (at most a few). */
  private async listingNotes(special: ReadonlyMap<string, SpecialKind>): Promise<string[]> {
    const { notes } = await this.snapshot.listing();
    const out = notes.slice(0, MAX_NOTES);
    if (notes.length > MAX_NOTES) out.push(`… and ${(notes.length - MAX_NOTES).toLocaleString('en-US')} more notes like these.`);
    if (special.size > 0) {
      const n = special.size;
      out.push(
        `${n.toLocaleString('en-US')} special ${n === 1 ? 'file' : 'files'} (named pipes, sockets or devices) ${n === 1 ? 'is' : 'are'} ` +
          'shown in repo.tree() but never opened: they are not in repo.files() and cannot be read.',
      );
    }
    return out;
  }

  private async binaryNotice(rel: string): Promise<string> {
    const size = await this.snapshot.size(rel);
    return `[binary file ${displayName(rel)}, ${size.toLocaleString('en-US')} bytes: not shown]`;
  }

  /** The folders of a multi-root workspace, shown by tree() even when empty (not in a subset). */
  private wholeFolders(): string[] {
    return this.scope === null && this.source.folders.length > 1 ? this.source.folders.map((f) => f.name) : [];
  }

  private where(): string {
    return this.scope === null ? 'the workspace' : `this sub-repo (files matching ${this.scope.description})`;
  }

  /** A model-written path in listing form; an absolute path inside a folder gets its workspace form suggested. */
  private normalize(file: string): string {
    const folders = this.source.folders;
    return normalizeRelPath(file, (absolute) => {
      for (const folder of folders) {
        const rel = relativeInside(folder.root, absolute);
        if (rel !== null) return folders.length === 1 ? rel : rel === '' ? folder.name : `${folder.name}/${rel}`;
      }
      return null;
    });
  }

  /**
   * The gate every file operation passes: returns the file's listing path (what caches,
   * reads and the read log use), or throws an error the model can act on.
   */
  private async resolveFile(file: string): Promise<string> {
    const rel = this.normalize(file);
    if (rel === '') {
      throw new RepoError(`${JSON.stringify(file)} is the workspace root, not a file; use repo.tree() or repo.files() to see what it holds.`);
    }
    const where = await this.source.locate(rel);
    if (where.outside) {
      throw new RepoError(
        `Path ${quotePath(rel)} leads outside the workspace through a symbolic link; only files inside the workspace root can be read.`,
      );
    }
    const listing = await this.snapshot.listing();
    // A path through a linked directory inside the workspace names its target's file.
    const listed = listing.set.has(rel) ? rel : where.real !== null && listing.set.has(where.real) ? where.real : null;
    if (listed === null) {
      const kind = listing.special.get(rel) ?? (where.real !== null ? listing.special.get(where.real) : undefined);
      if (kind !== undefined) {
        throw new RepoError(
          `${quotePath(rel)} is ${describeSpecial(kind)}, a special file: it is never opened or read ` +
            '(reading one can block forever or never end). It is not part of repo.files().',
        );
      }
      throw await this.notListedError(rel);
    }
    if (this.scope !== null && !(await this.scopedSet()).has(listed) && (rel === listed || (await this.inScope([rel])).length === 0)) {
      throw new RepoError(
        `${quotePath(rel)} is outside this sub-repo, which only holds the files matching ${this.scope.description}. ` +
          'Use repo.files() to list them.',
      );
    }
    return listed;
  }

  private async notListedError(rel: string): Promise<RepoError> {
    const kind = await this.source.entryKind(rel);
    if (kind === 'directory') {
      return new RepoError(
        `${quotePath(rel)} is a directory; use repo.tree(${JSON.stringify(rel)}) or repo.files(${JSON.stringify(`${rel}/**`)}) to see its files.`,
      );
    }
    if (kind !== 'missing') {
      return new RepoError(
        `${quotePath(rel)} is excluded from the workspace (by .gitignore or the exclude settings), so it cannot be read.`,
      );
    }
    const base = path.posix.basename(rel);
    const sameName = (await this.scopedFiles()).filter((f) => path.posix.basename(f) === base).slice(0, 3);
    const suggestion = sameName.length > 0 ? ` Files with that name: ${sameName.map(quotePath).join(', ')}.` : '';
    return new RepoError(`No file ${quotePath(rel)} in ${this.where()}. Use repo.files() or repo.grep() to find files.${suggestion}`);
  }
}

function initialState(where: string | WorkspaceSource, options: RepoOptions): ViewState {
  const source = typeof where === 'string' ? new DiskSource(where, options) : where;
  const folders = source.folders;
  return {
    source,
    snapshot: new Snapshot(source, options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES, options.maxScanBytes ?? DEFAULT_MAX_SCAN_BYTES),
    name: options.name ?? (folders.length === 1 ? folders[0]!.name : MULTI_ROOT_NAME),
    scope: null,
    sink: { log: options.readLog ?? [], onRead: null },
  };
}

/** Longest list of explicit file paths handed to the search (keeps well under command-line limits). */
const EXPLICIT_PATHS_CHARS = 8000;

/** Parts per rg process a big grep is cut into (more than one, so that uneven parts even out). */
const PARTS_PER_PROCESS = 3;
/** Fewest candidates worth a partitioned search, and fewest per part (each part is one rg start). */
const PARTITION_MIN_FILES = 2000;
const PART_MIN_FILES = 500;

/** A grep's candidate files, their positions, and (computed once, on demand) their parts. */
interface GrepCandidates {
  files: readonly string[];
  index: ReadonlyMap<string, number>;
  /** The files' sizes (0 for one that cannot be sized). */
  sizes(): Promise<Float64Array>;
  partitions(): Promise<SearchPartition[] | null>;
}

async function grepCandidateListSliced(
  files: readonly string[],
  listed: ReadonlySet<string>,
  folders: readonly { name: string }[],
  snapshot: Snapshot,
  /** For a glob's selection: the whole list it was selected from, and where each file is in it. */
  parent?: { candidates: GrepCandidates; at: Int32Array },
): Promise<GrepCandidates> {
  const index = new Map<string, number>();
  await forEachSliced(files.length, (i) => index.set(files[i]!, i));
  const folderRoots = new Set(folders.length > 1 ? folders.map((f) => f.name) : []);
  const parts = Math.min(ripgrepProcessLimit() * PARTS_PER_PROCESS, Math.floor(files.length / PART_MIN_FILES));
  // Both computed once, on first use, and shared by the greps that use this list.
  let sizesPromise: Promise<Float64Array> | undefined;
  const sizes = (): Promise<Float64Array> =>
    (sizesPromise ??= (async () => {
      // The listing measured them (a file it could not is asked, a few at a time).
      if (parent === undefined) return Float64Array.from(await snapshot.sizesOf(files));
      // A selection takes its sizes from the whole list's: no second look-up per file.
      const all = await parent.candidates.sizes();
      const own = new Float64Array(parent.at.length);
      for (let k = 0; k < parent.at.length; k++) own[k] = all[parent.at[k]!]!;
      return own;
    })());
  let partitionsPromise: Promise<SearchPartition[] | null> | undefined;
  const partitions = (): Promise<SearchPartition[] | null> =>
    (partitionsPromise ??= (async () => {
      if (files.length < PARTITION_MIN_FILES || parts < 2) return null;
      return partitionFiles(files, {
        parts,
        minFiles: PARTITION_MIN_FILES,
        maxArgChars: EXPLICIT_PATHS_CHARS,
        // A directory with its own .gitignore is walked whole (see partitions.ts); a
        // folder's root .gitignore is passed to rg separately.
        keepWhole: (dir) => !folderRoots.has(dir) && listed.has(`${dir}/.gitignore`),
        sizes: await sizes(),
      });
    })());
  return { files, index, sizes, partitions };
}

/** Paths per glob-selection job. */
const SELECT_SLICE = 8192;

/** Grep glob selections a view keeps. */
const GLOB_SELECTIONS_KEPT = 16;

/** Greps of this process that run at once (the rest wait, in order); see grep(). */
const GREPS_AT_ONCE = 8;
const greps = new Slots(GREPS_AT_ONCE);

/** Patterns the grep worker compiled without error lately: a fan-out of the same grep needs one check. */
const validPatterns = new Set<string>();
const VALID_PATTERNS_KEPT = 256;

/** Null when the worker compiles the pattern, else the parser's reason. */
async function compileCheck(pool: GrepWorkerPool, spec: PatternSpec, jobs: { signal?: AbortSignal; budget: WorkBudget }): Promise<string | null> {
  const key = `${spec.flags}/${spec.pattern}`;
  if (validPatterns.has(key)) return null;
  try {
    await pool.run({ kind: 'compile', spec }, { ...jobs, size: spec.pattern.length });
  } catch (err) {
    if (err instanceof WorkerJobError) return err.message;
    throw stoppedError(spec.pattern, err, { paths: ['(compiling the pattern)'], lines: 0, longest: 0, bytes: 0 });
  }
  if (validPatterns.size >= VALID_PATTERNS_KEPT) validPatterns.delete(validPatterns.values().next().value!);
  validPatterns.add(key);
  return null;
}

/**
 * Indices of `files` a guest's glob (or, with `include`, a subset's include list) selects,
 * matched in the grep worker under a deadline, never on this thread: a glob compiles to a
 * regex, and one with many "*" can backtrack for seconds on a long path. In slices of paths,
 * so that no one message (its copy on this thread) is large.
 */
async function selectIndices(
  glob: string | readonly string[],
  files: readonly string[],
  call: string,
  include: boolean,
  jobs: { signal?: AbortSignal; budget: WorkBudget },
): Promise<{ at: number[]; includeGlobs: string[] | null }> {
  const pool = sharedGrepWorkers();
  const globList = typeof glob === 'string' ? glob : [...glob];
  const at: number[] = [];
  let includeGlobs: string[] | null = null;
  for (let from = 0; from === 0 || from < files.length; from += SELECT_SLICE) {
    const paths = files.slice(from, from + SELECT_SLICE) as string[];
    let size = 0;
    for (const p of paths) size += p.length;
    let reply;
    try {
      reply = await pool.run({ kind: 'select', glob: globList, call, paths, ...(include ? { include } : {}) }, { ...jobs, size });
    } catch (err) {
      if (err instanceof WorkerJobError && err.repoError) throw new RepoError(err.message);
      if (err instanceof WorkCancelled) throw cancelledError(typeof glob === 'string' ? glob : glob.join(', '));
      if (err instanceof WorkerOverrun) throw new RepoError(globOverrunMessage(call, globList, err));
      throw err;
    }
    for (let i = 0; i < reply.mask.length; i++) if (reply.mask[i] === 1) at.push(from + i);
    includeGlobs = reply.ripgrepGlobs;
    if (files.length === 0) break;
  }
  return { at, includeGlobs };
}

function globOverrunMessage(call: string, glob: string | string[], err: WorkerOverrun): string {
  const text = JSON.stringify(glob);
  return (
    `${call}: matching the glob ${text.length > 200 ? `${text.slice(0, 200)}…` : text} against the file paths was stopped after ${(err.ms / 1000).toFixed(1)} s` +
    ' (globs with many "*" compile to patterns that backtrack on long paths). Use fewer wildcards, e.g. "src/**/*.ts", or filter repo.files() results in JavaScript. The next call runs normally.'
  );
}

function joinedLength(files: readonly string[]): number {
  let n = 0;
  for (const f of files) {
    n += f.length + 1;
    if (n > EXPLICIT_PATHS_CHARS) break;
  }
  return n;
}
