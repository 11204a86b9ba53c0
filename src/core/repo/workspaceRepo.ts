/**
 * `WorkspaceRepo`: the `Repo` the sandbox explores, over a directory on disk.
 *
 * Everything is lazy and then cached for the life of the instance (the workspace is a
 * snapshot for one run): nothing is touched by the constructor beyond checking that the
 * root is a directory; the first call that needs the listing walks the tree once.
 * Every file operation goes through the same gate (`resolveFile`): path normalised and
 * kept inside the root, file present in the listing (so .gitignore'd and excluded files
 * are as invisible to `read` as to `files`), and inside the subset for a sub-repo.
 */
import * as fs from 'node:fs';
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
import { type RepoFs, nodeRepoFs } from './fsAccess';
import { Snapshot, mapLimit } from './snapshot';
import { normalizeRelPath, resolveInside } from './pathGuard';
import { comparePaths } from './pathOrder';
import { compileGlobs, compileInclude, excludedDirNames, ripgrepGlobs } from './globMatch';
import { hasBinaryExtension } from './binary';
import { compilePattern } from './grepText';
import { scanLines, splitLines, stripBom } from './lines';
import { jsGrep } from './jsGrep';
import { findRipgrep, ripgrepGrep } from './ripgrep';
import { dirTree, renderTree } from './tree';
import { buildClusters } from './clusters';
import { languageBreakdown } from './languages';
import { formatBytes } from '../util/formatBytes';
import { describe, nonNegativeInteger, optionsObject, positiveInteger } from './validate';

export interface RepoOptions {
  /** Display name; defaults to the root directory's name. */
  name?: string;
  /** Globs (fast-glob syntax, relative to the root) never listed, read or searched. */
  exclude?: string[];
  /** Honour .gitignore files in the workspace (nested ones included). Default true. */
  useGitignore?: boolean;
  /** rg binary: a path, null to always use the JavaScript grep, undefined to use the bundled one if present. */
  ripgrepPath?: string | null;
  /** Largest file a whole-file `read` returns (default 8 MiB); bigger files must be read by line range. */
  maxReadBytes?: number;
  /** Where read ranges are recorded; pass one to share a log between repos. */
  readLog?: ReadRecord[];
  /** File-system access layer; tests wrap `nodeRepoFs` to observe what is read. */
  fs?: RepoFs;
}

export const DEFAULT_EXCLUDE: readonly string[] = ['**/node_modules/**', '**/.git/**'];
export const DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_RESULTS = 200;
export const MAX_RESULTS_CAP = 5000;
export const DEFAULT_TREE_DEPTH = 2;
export const TREE_MAX_ENTRIES = 200;
export const DEFAULT_CLUSTER_CHARS = 100_000;
const SUMMARY_TREE_ENTRIES = 40;
const SUMMARY_LANGUAGES = 10;

export type GrepEngine = 'ripgrep' | 'js';

/** Internal: what a subset view shares with the repo it came from. */
const SHARED = Symbol('WorkspaceRepo.shared');
interface Shared {
  snapshot: Snapshot;
  scope: Scope | null;
  name: string;
  readLog: ReadRecord[];
  options: RepoOptions;
}
interface Scope {
  match(relPath: string): boolean;
  /** The include list, for error messages. */
  description: string;
}

export class WorkspaceRepo implements Repo {
  readonly name: string;
  readonly root: string;
  readonly readLog: ReadRecord[];
  /** Which engine answered the last `grep` call (null before the first). */
  lastGrepEngine: GrepEngine | null = null;

  private readonly snapshot: Snapshot;
  private readonly options: RepoOptions;
  /** Null for the whole workspace; set for a `subset` view. */
  private readonly scope: Scope | null;
  private scopedFilesPromise: Promise<string[]> | undefined;

  constructor(root: string, options: RepoOptions = {}) {
    const shared = (options as { [SHARED]?: Shared })[SHARED];
    if (shared !== undefined) {
      this.root = shared.snapshot.root;
      this.snapshot = shared.snapshot;
      this.scope = shared.scope;
      this.name = shared.name;
      this.readLog = shared.readLog;
      this.options = shared.options;
      return;
    }
    this.options = options;
    if (typeof root !== 'string' || root === '') {
      throw new RepoError(`WorkspaceRepo needs the workspace root directory; got ${describe(root)}.`);
    }
    this.root = path.resolve(root);
    let isDirectory = false;
    try {
      isDirectory = fs.statSync(this.root).isDirectory();
    } catch {
      // reported below
    }
    if (!isDirectory) throw new RepoError(`The workspace root "${this.root}" is not a directory.`);
    const exclude = options.exclude ?? [...DEFAULT_EXCLUDE];
    if (!Array.isArray(exclude) || exclude.some((g) => typeof g !== 'string')) {
      throw new RepoError(`The exclude option must be an array of globs; got ${describe(exclude)}.`);
    }
    this.name = options.name ?? path.basename(this.root);
    this.readLog = options.readLog ?? [];
    this.scope = null;
    this.snapshot = new Snapshot({
      root: this.root,
      exclude,
      useGitignore: options.useGitignore ?? true,
      maxReadBytes: positiveInteger(options.maxReadBytes, 'maxReadBytes', DEFAULT_MAX_READ_BYTES),
      fs: options.fs ?? nodeRepoFs,
      ripgrepPath: options.ripgrepPath === undefined ? findRipgrep() : options.ripgrepPath,
    });
  }

  /** The rg binary grep will try, or null when it uses the JavaScript grep. */
  get ripgrepPath(): string | null {
    return this.snapshot.ripgrepPath;
  }

  async files(glob?: string | string[], options?: FilesOptions): Promise<string[]> {
    const opts = optionsObject(options, 'files()');
    const limit = positiveInteger(opts.limit, 'files() limit');
    const selection = compileGlobs(glob, 'files()');
    const all = await this.scopedFiles();
    const selected = selection === null ? all.slice() : all.filter(selection.match);
    return limit === undefined ? selected : selected.slice(0, limit);
  }

  async read(file: string, options?: ReadOptions): Promise<string> {
    const opts = optionsObject(options, 'read()');
    const start = positiveInteger(opts.start, 'read() start (a 1-based line number)');
    const end = positiveInteger(opts.end, 'read() end (a 1-based line number)');
    if (start !== undefined && end !== undefined && start > end) {
      throw new RepoError(`read(): start (${start}) is after end (${end}); the range is inclusive, start <= end.`);
    }
    const { rel, abs } = await this.resolveFile(file);
    const size = await this.snapshot.size(rel);
    if (await this.snapshot.isBinary(rel)) {
      return `[binary file ${rel}, ${size.toLocaleString('en-US')} bytes: not shown]`;
    }
    const maxBytes = this.snapshot.settings.maxReadBytes;

    if (start === undefined && end === undefined) {
      if (size > maxBytes) {
        throw new RepoError(
          `"${rel}" is ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} a whole-file read returns; ` +
            `read a line range instead, e.g. repo.read(${JSON.stringify(rel)}, { start: 1, end: 2000 }).`,
        );
      }
      const text = (await this.snapshot.fs.readFile(abs)).toString('utf8');
      const lineCount = splitLines(text).length;
      if (lineCount > 0) this.readLog.push({ path: rel, start: 1, end: lineCount, via: 'read' });
      return stripBom(text).replace(/\r\n/g, '\n');
    }

    const first = start ?? 1;
    const last = end ?? Number.POSITIVE_INFINITY;
    let total: number;
    let lines: string[];
    if (size <= maxBytes) {
      const all = splitLines((await this.snapshot.fs.readFile(abs)).toString('utf8'));
      total = all.length;
      lines = all.slice(first - 1, last);
    } else {
      // Too big to hold: stream to the range and stop there.
      lines = [];
      let bytes = 0;
      const scan = await scanLines(this.snapshot.fs.createReadStream(abs), (line, n) => {
        if (n >= first) {
          lines.push(line);
          bytes += line.length + 1;
          if (bytes > maxBytes) {
            throw new RepoError(
              `Lines ${first}-${end ?? 'end'} of "${rel}" come to more than ${formatBytes(maxBytes)}; read a smaller range.`,
            );
          }
        }
        return n < last;
      });
      total = scan.lines;
    }
    if (first > total) {
      throw new RepoError(
        total === 0
          ? `"${rel}" is empty (0 lines).`
          : `Line ${first} is past the end of "${rel}", which has ${total.toLocaleString('en-US')} lines.`,
      );
    }
    const lastShown = first + lines.length - 1;
    this.readLog.push({ path: rel, start: first, end: lastShown, via: 'read' });
    return lines.join('\n');
  }

  async grep(pattern: string, options?: GrepOptions): Promise<GrepMatch[]> {
    const opts = optionsObject(options, 'grep()');
    if (opts.ignoreCase !== undefined && typeof opts.ignoreCase !== 'boolean') {
      throw new RepoError(`grep() ignoreCase must be true or false; got ${describe(opts.ignoreCase)}.`);
    }
    const ignoreCase = opts.ignoreCase === true;
    const re = compilePattern(pattern, ignoreCase);
    const maxResults = Math.min(
      positiveInteger(opts.maxResults, 'grep() maxResults', DEFAULT_MAX_RESULTS),
      MAX_RESULTS_CAP,
    );
    const selection = compileGlobs(opts.glob, 'grep()');
    const listing = await this.snapshot.listing();
    // Symbolic links are not searched (their targets in the workspace are), nor files
    // binary by name; files binary by content are dropped as they are met.
    const files = (await this.scopedFiles()).filter(
      (f) => (selection === null || selection.match(f)) && !listing.symlinks.has(f) && !hasBinaryExtension(f),
    );

    let matches: GrepMatch[] | null = null;
    const rgPath = this.snapshot.ripgrepPath;
    if (rgPath !== null && files.length > 0) {
      const narrow = this.scope !== null || selection !== null;
      const result = await ripgrepGrep({
        snapshot: this.snapshot,
        files,
        re,
        maxResults,
        rgPath,
        pattern,
        ignoreCase,
        useGitignore: this.snapshot.settings.useGitignore,
        includeGlobs: ripgrepGlobs(selection),
        excludeDirNames: excludedDirNames(this.snapshot.settings.exclude),
        // A few candidates (a sub-repo, a narrow glob): name them instead of walking the tree.
        paths: narrow && joinedLength(files) <= EXPLICIT_PATHS_CHARS ? files : null,
      });
      if (Array.isArray(result)) {
        matches = result;
        this.lastGrepEngine = 'ripgrep';
      } else if (result.spawnFailed) {
        this.snapshot.ripgrepPath = null; // it will not start next time either
      }
    }
    if (matches === null) {
      matches = await jsGrep({ snapshot: this.snapshot, files, re, maxResults });
      this.lastGrepEngine = 'js';
    }
    matches.sort((a, b) => comparePaths(a.path, b.path) || a.line - b.line);
    for (const m of matches) this.readLog.push({ path: m.path, start: m.line, end: m.line, via: 'grep' });
    return matches;
  }

  async tree(dir?: string, options?: TreeOptions): Promise<string> {
    const opts = optionsObject(options, 'tree()');
    const depth = nonNegativeInteger(opts.depth, 'tree() depth', DEFAULT_TREE_DEPTH);
    const rel = dir === undefined ? '' : normalizeRelPath(dir, this.root);
    const files = await this.scopedFiles();
    const node = dirTree(files, rel);
    if (node === null) {
      if (rel === '') return `${this.name}/ (0 files)`;
      if (files.includes(rel)) {
        throw new RepoError(`"${rel}" is a file, not a directory; use repo.read(${JSON.stringify(rel)}) to see it.`);
      }
      throw new RepoError(`No directory "${rel}" in ${this.where()}. Use repo.tree() to see the top level.`);
    }
    const hint = `use repo.tree("<subdirectory>") or repo.files("${rel === '' ? '' : `${rel}/`}**/*.ext") to see more.`;
    return renderTree(node, rel === '' ? this.name : rel, depth, TREE_MAX_ENTRIES, hint).text;
  }

  async stat(file: string): Promise<FileStat> {
    const { path: rel, bytes, binary } = await this.info(file);
    return { path: rel, bytes, lines: binary ? null : await this.snapshot.lineCount(rel) };
  }

  async info(file: string): Promise<FileInfo> {
    const { rel } = await this.resolveFile(file);
    return { path: rel, bytes: await this.snapshot.size(rel), binary: await this.snapshot.isBinary(rel) };
  }

  async clusters(glob?: string | string[], options?: ClustersOptions): Promise<FileCluster[]> {
    const opts = optionsObject(options, 'clusters()');
    const maxChars = positiveInteger(opts.maxChars, 'clusters() maxChars', DEFAULT_CLUSTER_CHARS);
    const selection = compileGlobs(glob, 'clusters()');
    const all = await this.scopedFiles();
    const files = selection === null ? all : all.filter(selection.match);
    const binary = await mapLimit(files, 32, (f) => this.snapshot.isBinary(f).catch(() => true));
    const text = files.filter((_, i) => !binary[i]);
    const sizes = await mapLimit(text, 64, (f) => this.snapshot.size(f).catch(() => 0));
    return buildClusters(text.map((p, i) => ({ path: p, bytes: sizes[i] })), maxChars);
  }

  async summary(): Promise<RepoSummary> {
    const files = await this.scopedFiles();
    const sizes = await mapLimit(files, 64, (f) => this.snapshot.size(f).catch(() => 0));
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    const languages = languageBreakdown(files.map((p, i) => ({ path: p, bytes: sizes[i] })), SUMMARY_LANGUAGES);
    const node = dirTree(files, '');
    const topLevelTree =
      node === null
        ? `${this.name}/ (0 files)`
        : renderTree(node, this.name, 2, SUMMARY_TREE_ENTRIES, 'use repo.tree() for more.').text;
    return { name: this.name, fileCount: files.length, totalBytes, languages, topLevelTree };
  }

  subset(include: string[]): Repo {
    const inner = compileInclude(include, 'subset()');
    const outer = this.scope;
    const scope: Scope = {
      match: outer === null ? inner : (p) => outer.match(p) && inner(p),
      description: JSON.stringify(include) + (outer === null ? '' : ` within ${outer.description}`),
    };
    const shared: Shared = { snapshot: this.snapshot, scope, name: this.name, readLog: this.readLog, options: this.options };
    return new WorkspaceRepo(this.root, { [SHARED]: shared } as RepoOptions);
  }

  observe(onRead: (record: ReadRecord) => void): Repo {
    const log: ReadRecord[] = [];
    log.push = (...records: ReadRecord[]) => {
      for (const r of records) onRead(r);
      return 0;
    };
    const shared: Shared = { snapshot: this.snapshot, scope: this.scope, name: this.name, readLog: log, options: this.options };
    return new WorkspaceRepo(this.root, { [SHARED]: shared } as RepoOptions);
  }

  fresh(): Repo {
    const base = new WorkspaceRepo(this.root, { ...this.options, readLog: undefined });
    if (this.scope === null) return base;
    const shared: Shared = { snapshot: base.snapshot, scope: this.scope, name: this.name, readLog: base.readLog, options: this.options };
    return new WorkspaceRepo(this.root, { [SHARED]: shared } as RepoOptions);
  }

  /** The listing, restricted to this view's subset. */
  private scopedFiles(): Promise<string[]> {
    this.scopedFilesPromise ??= this.snapshot.listing().then(
      (listing) => (this.scope === null ? listing.files : listing.files.filter(this.scope.match)),
      (err: unknown) => {
        this.scopedFilesPromise = undefined;
        throw err;
      },
    );
    return this.scopedFilesPromise;
  }

  private where(): string {
    return this.scope === null ? 'the workspace' : `this sub-repo (files matching ${this.scope.description})`;
  }

  /**
   * The gate every file operation passes: returns the file's listing path (what caches
   * and the read log use) and where to open it, or throws an error the model can act on.
   */
  private async resolveFile(file: unknown): Promise<{ rel: string; abs: string }> {
    const rel = normalizeRelPath(file, this.root);
    if (rel === '') {
      throw new RepoError(`${describe(file)} is the workspace root, not a file; use repo.tree() or repo.files() to see what it holds.`);
    }
    const realRoot = await this.snapshot.realRoot();
    const { abs, realRel } = await resolveInside((p) => this.snapshot.fs.realpath(p), this.root, realRoot, rel);
    const listing = await this.snapshot.listing();
    // A path through a linked directory inside the workspace names its target's file.
    const listed = listing.set.has(rel) ? rel : realRel !== null && listing.set.has(realRel) ? realRel : null;
    if (listed === null) throw await this.notListedError(rel, abs);
    if (this.scope !== null && !this.scope.match(listed) && !this.scope.match(rel)) {
      throw new RepoError(
        `"${rel}" is outside this sub-repo, which only holds the files matching ${this.scope.description}. ` +
          'Use repo.files() to list them.',
      );
    }
    return { rel: listed, abs };
  }

  private async notListedError(rel: string, abs: string): Promise<RepoError> {
    let stats: fs.Stats | null = null;
    try {
      stats = await this.snapshot.fs.stat(abs);
    } catch {
      // does not exist
    }
    if (stats?.isDirectory()) {
      return new RepoError(
        `"${rel}" is a directory; use repo.tree(${JSON.stringify(rel)}) or repo.files(${JSON.stringify(`${rel}/**`)}) to see its files.`,
      );
    }
    if (stats !== null) {
      return new RepoError(
        `"${rel}" is excluded from the workspace (by .gitignore or the exclude settings), so it cannot be read.`,
      );
    }
    const base = path.posix.basename(rel);
    const sameName = (await this.scopedFiles()).filter((f) => path.posix.basename(f) === base).slice(0, 3);
    const suggestion = sameName.length > 0 ? ` Files with that name: ${sameName.map((f) => `"${f}"`).join(', ')}.` : '';
    return new RepoError(`No file "${rel}" in ${this.where()}. Use repo.files() or repo.grep() to find files.${suggestion}`);
  }
}

/** Longest list of explicit file paths handed to rg (keeps well under command-line limits). */
const EXPLICIT_PATHS_CHARS = 8000;

function joinedLength(files: readonly string[]): number {
  let n = 0;
  for (const f of files) {
    n += f.length + 1;
    if (n > EXPLICIT_PATHS_CHARS) break;
  }
  return n;
}
