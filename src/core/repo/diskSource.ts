/**
 * `DiskSource`: one folder on disk as a `WorkspaceSource`. It owns everything that
 * touches the file system: the walk with .gitignore rules and exclude globs (listing.ts),
 * the realpath guard against symbolic links leading out of the folder
 * (pathGuard.resolveInside), the binary sniff, reads, and ripgrep when a binary is given.
 *
 * Every file it reads is opened the one safe way (fsAccess.openInside: no final link
 * followed, never blocking, the handle checked to be a regular file inside the folder) and
 * read from that handle only, within a byte bound; special files are listed apart and never
 * opened. At most `MAX_OPEN_FILES` files are open at once, whatever the callers do. Errors
 * name the path relative to the folder, never the host's absolute paths.
 *
 * The rg binary is an option (`ripgrepPath`), never looked up here: the CLI passes the
 * bundled one when it is installed, the editor its own; null or absent means the view's
 * JavaScript grep. A binary that fails to start is dropped for the life of the source.
 *
 * Every file-system call goes through the `RepoFs` layer (`fs` option), which tests wrap
 * to observe what is opened.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { OpenPurpose, OpenedFile, RepoFs } from './fsAccess';
import { FileRefused, joinRel, nodeRepoFs, openInside, readChunks, readUpTo } from './fsAccess';
import { describeFsError } from './fsErrors';
import { listWorkspace, type DiskListing } from './listing';
import { ListingWorkerUnavailable, SNIFF_BINARY, SNIFF_TEXT, listInWorker, sniffInWorker } from './listingPool';
import { quotePath, resolveInside } from './pathGuard';
import { SNIFF_BYTES, hasBinaryExtension, looksBinary } from './binary';
import { excludedDirNames } from './globMatch';
import { Gate } from './ioGate';
import { CUT_MARKER, ripgrepArgs, runRipgrep } from './ripgrep';
import type { EntryKind, SearchOutcome, SearchQuery, SearchRecord, SourceFolder, SourceLocation, SourceSearch, WorkspaceSource } from './source';
import { RepoError } from './types';

export const DEFAULT_EXCLUDE: readonly string[] = ['**/node_modules/**', '**/.git/**'];

/** Files open at once per source; more wait (no EMFILE however many reads model code starts). */
export const MAX_OPEN_FILES = 64;
/** Chunk size of streamed reads. */
const STREAM_CHUNK = 256 * 1024;

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
  /** File-system access layer; tests wrap `nodeRepoFs` to observe what is opened. */
  fs?: RepoFs;
  /** List in the listing worker (default true; it is used only with the real file system). */
  listInWorker?: boolean;
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
  private readonly opens = new Gate(MAX_OPEN_FILES, 0);
  private readonly useWorker: boolean;
  /** Sniffs asked during this turn of the event loop, sent to the worker together. */
  private sniffBatch: Array<{ rel: string; resolve(binary: boolean | null): void; reject(err: unknown): void }> | null = null;

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
    // Said to whoever configured the folder (the CLI user, the editor), so the path is theirs to see.
    if (!isDirectory) throw new RepoError(`The workspace root "${this.root}" is not a directory.`);
    this.folders = [{ name: options.name ?? path.basename(this.root), root: this.root }];
    this.exclude = options.exclude ?? DEFAULT_EXCLUDE;
    this.useGitignore = options.useGitignore ?? true;
    this.fs = options.fs ?? nodeRepoFs;
    this.rg = options.ripgrepPath ?? null;
    this.useWorker = options.listInWorker ?? true;
  }

  get ripgrepPath(): string | null {
    return this.rg;
  }

  /**
   * The walk runs in the listing worker (listingPool.ts) when the file system is the real
   * one; with a wrapped `fs` (tests observing what is touched), or without a worker bundle,
   * on this thread, sliced so that it never holds the event loop.
   */
  async list(): Promise<DiskListing> {
    this.realRootPromise = undefined; // a new snapshot looks again
    const request = { root: this.root, realRoot: await this.realRoot(), exclude: this.exclude, useGitignore: this.useGitignore };
    if (this.fs === nodeRepoFs && this.useWorker) {
      const inWorker = listInWorker(request);
      if (inWorker !== null) {
        try {
          return await inWorker;
        } catch (err) {
          if (!(err instanceof ListingWorkerUnavailable)) throw err;
        }
      }
    }
    return listWorkspace({ ...request, fs: this.fs });
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

  /** From `fstat` of the checked handle, so it is the size of what a read would read. */
  async size(rel: string): Promise<number> {
    return this.withFile(rel, 'size', async ({ size }) => size);
  }

  /**
   * With the real file system, sniffs go to the listing worker, those of one turn of the
   * event loop in one message (a grep that matched in 1,000 files asks for 1,000 of them):
   * the same checked open there, with synchronous calls, instead of five hops each to the
   * thread pool the extension host shares. A file the worker could not open, or no worker,
   * is sniffed here, which also words the refusal.
   */
  async isBinary(rel: string): Promise<boolean> {
    if (hasBinaryExtension(rel)) return true;
    if (this.fs === nodeRepoFs && this.useWorker) {
      const found = await new Promise<boolean | null>((resolve, reject) => {
        if (this.sniffBatch === null) {
          this.sniffBatch = [];
          setImmediate(() => this.flushSniffs());
        }
        this.sniffBatch.push({ rel, resolve, reject });
      });
      if (found !== null) return found;
    }
    return this.withFile(rel, 'sniff', async ({ file, size }) => looksBinary(await readUpTo(file, SNIFF_BYTES, size)));
  }

  private flushSniffs(): void {
    const batch = this.sniffBatch ?? [];
    this.sniffBatch = null;
    void this.realRoot().then(
      async (realRoot) => {
        const sniffed = await (sniffInWorker({ root: this.root, realRoot, rels: batch.map((b) => b.rel) }) ?? Promise.resolve(null));
        batch.forEach((b, i) => {
          const found = sniffed?.[i];
          b.resolve(found === SNIFF_BINARY ? true : found === SNIFF_TEXT ? false : null);
        });
      },
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }

  async readBytes(rel: string, maxBytes: number): Promise<Uint8Array | null> {
    return this.withFile(rel, 'read', async ({ file, size }) => {
      if (size > maxBytes) return null;
      // One byte more than allowed tells a file that grew since fstat from one that did not.
      const bytes = await readUpTo(file, maxBytes + 1, size);
      return bytes.length > maxBytes ? null : bytes;
    });
  }

  stream(rel: string): AsyncIterable<Uint8Array | string> & { destroy(): void } {
    const chunks = this.streamChunks(rel);
    return {
      [Symbol.asyncIterator]: () => chunks,
      destroy: () => void chunks.return(undefined).catch(() => undefined),
    };
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
    return outcome.tooSlow === true ? { ok: false, reason: outcome.reason, tooSlow: true } : { ok: false, reason: outcome.reason };
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
    return joinRel(this.root, rel);
  }

  private async *streamChunks(rel: string): AsyncGenerator<Uint8Array> {
    await this.opens.acquire(0);
    try {
      const opened = await this.open(rel, 'stream');
      try {
        yield* readChunks(opened.file, STREAM_CHUNK);
      } finally {
        await opened.file.close().catch(() => undefined);
      }
    } finally {
      this.opens.release(0);
    }
  }

  /** Opens `rel` the safe way, runs `fn` on the handle, closes it; at most MAX_OPEN_FILES at once. */
  private withFile<T>(rel: string, purpose: OpenPurpose, fn: (opened: OpenedFile) => Promise<T>): Promise<T> {
    return this.opens.run(0, async () => {
      const opened = await this.open(rel, purpose);
      try {
        return await fn(opened);
      } catch (err) {
        throw err instanceof RepoError ? err : new RepoError(`Cannot read ${quotePath(rel)}: ${describeFsError(err)}.`);
      } finally {
        await opened.file.close().catch(() => undefined);
      }
    });
  }

  private async open(rel: string, purpose: OpenPurpose): Promise<OpenedFile> {
    const realRoot = await this.realRoot();
    try {
      return await openInside(this.fs, realRoot, this.abs(rel), purpose);
    } catch (err) {
      throw refusedError(rel, err);
    }
  }

  private realRoot(): Promise<string> {
    this.realRootPromise ??= this.fs.realpath(this.root).catch((err: unknown) => {
      this.realRootPromise = undefined;
      const name = this.folders[0]!.name;
      throw new RepoError(`The workspace folder ${quotePath(name)} cannot be opened: ${describeFsError(err)}. It may have been moved or deleted.`);
    });
    return this.realRootPromise;
  }
}

/** The model's message for a file that could not be opened, by its workspace path. */
function refusedError(rel: string, err: unknown): RepoError {
  if (!(err instanceof FileRefused)) return new RepoError(`Cannot read ${quotePath(rel)}: ${describeFsError(err)}.`);
  switch (err.reason) {
    case 'outside':
      return new RepoError(`Path ${quotePath(rel)} ${err.detail}; only files inside the workspace root can be read.`);
    case 'special':
      return new RepoError(`${quotePath(rel)} is ${err.detail}, a special file: it is never opened or read.`);
    case 'directory':
      return new RepoError(`${quotePath(rel)} is a directory; use repo.tree(${JSON.stringify(rel)}) to see its files.`);
    case 'missing':
      return new RepoError(`${quotePath(rel)} no longer exists: it was removed or renamed since the workspace was listed.`);
    case 'changed':
      return new RepoError(`${quotePath(rel)} ${err.detail}; it was not read. Try again.`);
    case 'error':
      return new RepoError(`Cannot read ${quotePath(rel)}: ${err.detail}.`);
  }
}
