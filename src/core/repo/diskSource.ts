/**
 * `DiskSource`: one folder on disk as a `WorkspaceSource`. It owns everything that
 * touches the file system: the walk with .gitignore rules and exclude globs
 * (listing.ts), the realpath guard against symbolic links leading out of the folder
 * (pathGuard.resolveInside), the binary sniff, reads, and ripgrep when a binary is given.
 *
 * The rg binary is an option (`ripgrepPath`), never looked up here: the CLI passes the
 * bundled one when it is installed, the editor its own; null or absent means the view's
 * JavaScript grep. A binary that fails to start is dropped for the life of the source.
 *
 * Every content read goes through the `RepoFs` layer (`fs` option), which tests wrap to
 * observe what is read.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { RepoFs } from './fsAccess';
import { nodeRepoFs } from './fsAccess';
import { listWorkspace } from './listing';
import { absolutePath, resolveInside } from './pathGuard';
import { SNIFF_BYTES, hasBinaryExtension, looksBinary } from './binary';
import { excludedDirNames } from './globMatch';
import { CUT_MARKER, ripgrepArgs, runRipgrep } from './ripgrep';
import type { EntryKind, SearchOutcome, SearchQuery, SearchRecord, SourceFolder, SourceListing, SourceLocation, SourceSearch, WorkspaceSource } from './source';
import { RepoError } from './types';

export const DEFAULT_EXCLUDE: readonly string[] = ['**/node_modules/**', '**/.git/**'];

/** How long the root .gitignore's existence is trusted for grep (see hasRootGitignore). */
const ROOT_GITIGNORE_TTL_MS = 5000;

export interface DiskSourceOptions {
  /** The folder's name; defaults to the root directory's name. */
  name?: string;
  /** Globs (fast-glob syntax, relative to the root) never listed, read or searched. Default: node_modules and .git. */
  exclude?: readonly string[];
  /** Honour .gitignore files in the folder (nested ones included). Default true. */
  useGitignore?: boolean;
  /** The rg binary grep runs; null or absent: the JavaScript grep. */
  ripgrepPath?: string | null;
  /** File-system access layer; tests wrap `nodeRepoFs` to observe what is read. */
  fs?: RepoFs;
}

export class DiskSource implements WorkspaceSource {
  readonly folders: readonly SourceFolder[];
  readonly root: string;
  readonly exclude: readonly string[];
  readonly useGitignore: boolean;
  private readonly fs: RepoFs;
  private rg: string | null;
  private rootGitignore: { at: number; exists: Promise<boolean> } | null = null;
  private realRootPromise: Promise<string> | undefined;

  /** Checks that `root` is a directory (synchronously, so a bad root fails where it is given). */
  constructor(root: string, options: DiskSourceOptions = {}) {
    if (root === '') throw new RepoError('A workspace folder needs its root directory; got an empty path.');
    this.root = path.resolve(root);
    let isDirectory = false;
    try {
      isDirectory = nodeFs.statSync(this.root).isDirectory();
    } catch {
      // reported below
    }
    if (!isDirectory) throw new RepoError(`The workspace root "${this.root}" is not a directory.`);
    this.folders = [{ name: options.name ?? path.basename(this.root), root: this.root }];
    this.exclude = options.exclude ?? DEFAULT_EXCLUDE;
    this.useGitignore = options.useGitignore ?? true;
    this.fs = options.fs ?? nodeRepoFs;
    this.rg = options.ripgrepPath ?? null;
  }

  get ripgrepPath(): string | null {
    return this.rg;
  }

  async list(): Promise<SourceListing> {
    this.realRootPromise = undefined; // a new snapshot looks again
    return listWorkspace({
      root: this.root,
      realRoot: await this.realRoot(),
      exclude: this.exclude,
      useGitignore: this.useGitignore,
      fs: this.fs,
    });
  }

  async locate(rel: string): Promise<SourceLocation> {
    return resolveInside((p) => this.fs.realpath(p), this.root, await this.realRoot(), rel);
  }

  async entryKind(rel: string): Promise<EntryKind> {
    let stats: nodeFs.Stats;
    try {
      stats = await this.fs.stat(this.abs(rel));
    } catch {
      return 'missing';
    }
    return stats.isDirectory() ? 'directory' : stats.isFile() ? 'file' : 'special';
  }

  async size(rel: string): Promise<number> {
    return (await this.fs.stat(this.abs(rel))).size;
  }

  async isBinary(rel: string): Promise<boolean> {
    return hasBinaryExtension(rel) || looksBinary(await this.fs.readHead(this.abs(rel), SNIFF_BYTES));
  }

  async readBytes(rel: string, maxBytes: number): Promise<Uint8Array | null> {
    // The view asks only after the file's size said it fits; a file that grew since is refused.
    const bytes = await this.fs.readFile(this.abs(rel));
    return bytes.length > maxBytes ? null : bytes;
  }

  stream(rel: string): AsyncIterable<Uint8Array | string> & { destroy(): void } {
    return this.fs.createReadStream(this.abs(rel));
  }

  /** ripgrep, while there is a binary that starts. */
  get search(): SourceSearch | undefined {
    return this.rg === null ? undefined : this.runRipgrep;
  }

  private readonly runRipgrep = async (query: SearchQuery, onRecord: (record: SearchRecord) => Promise<boolean>): Promise<SearchOutcome> => {
    const rgPath = this.rg;
    if (rgPath === null) return { ok: false, reason: 'rg failed to start' };
    const under = query.paths === null ? (query.under ?? null) : null;
    // A walk below the root misses the root's .gitignore (rg reads none above its paths): pass it.
    const rootIgnoreFile = under !== null && this.useGitignore && (await this.hasRootGitignore()) ? '.gitignore' : null;
    const args = ripgrepArgs({
      pattern: query.pattern,
      ignoreCase: query.ignoreCase,
      useGitignore: this.useGitignore,
      includeGlobs: query.includeGlobs,
      excludeDirNames: excludedDirNames(this.exclude),
      paths: query.paths,
      under,
      rootIgnoreFile,
    });
    const outcome = await runRipgrep(
      rgPath,
      args,
      this.root,
      (r) => onRecord({ path: r.path, line: r.line, text: r.cut ? r.text.slice(0, -CUT_MARKER.length) : r.text, cut: r.cut }),
      { signal: query.signal },
    );
    if (outcome.ok) return outcome;
    if (outcome.spawnFailed) this.rg = null; // it will not start next time either: no search from now on
    return { ok: false, reason: outcome.reason };
  };

  /**
   * Whether the root has a .gitignore, looked up at most every few seconds: the parts of
   * one grep all ask, and must reach rg's process slots in their order (a cached answer
   * resolves in order). A stale answer costs speed, never results: without the file rg
   * searches more than the listing holds, with a missing one it fails and the JavaScript
   * grep answers.
   */
  private hasRootGitignore(): Promise<boolean> {
    const now = Date.now();
    if (this.rootGitignore === null || now - this.rootGitignore.at > ROOT_GITIGNORE_TTL_MS) {
      this.rootGitignore = { at: now, exists: this.fs.stat(this.abs('.gitignore')).then((st) => st.isFile(), () => false) };
    }
    return this.rootGitignore.exists;
  }

  private abs(rel: string): string {
    return absolutePath(this.root, rel);
  }

  private realRoot(): Promise<string> {
    this.realRootPromise ??= this.fs.realpath(this.root).catch((err: Error) => {
      this.realRootPromise = undefined;
      throw new RepoError(`The workspace root "${this.root}" cannot be opened: ${err.message}`);
    });
    return this.realRootPromise;
  }
}
