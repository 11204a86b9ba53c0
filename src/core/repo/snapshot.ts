/**
 * What a repo knows about the workspace, computed lazily and then kept: the listing,
 * file sizes, which files are binary, line counts. The workspace is treated as a
 * snapshot for the length of one run, so none of it is recomputed; a `subset` view
 * shares its parent's snapshot (and read log) rather than walking the tree again.
 */
import type { Listing } from './listing';
import { listWorkspace } from './listing';
import type { RepoFs } from './fsAccess';
import { SNIFF_BYTES, hasBinaryExtension, looksBinary } from './binary';
import { scanLines, splitLines } from './lines';
import { absolutePath } from './pathGuard';
import { RepoError } from './types';

export interface SnapshotSettings {
  root: string;
  exclude: readonly string[];
  useGitignore: boolean;
  maxReadBytes: number;
  fs: RepoFs;
  /** Path of the rg binary, or null for the JavaScript grep only. */
  ripgrepPath: string | null;
}

export class Snapshot {
  private realRootPromise: Promise<string> | undefined;
  private listingPromise: Promise<Listing> | undefined;
  private readonly sizes = new Map<string, Promise<number>>();
  private readonly binary = new Map<string, Promise<boolean>>();
  private readonly lineCounts = new Map<string, Promise<number>>();
  /** Set once rg failed to start, so later greps go straight to the fallback. */
  ripgrepPath: string | null;

  constructor(readonly settings: SnapshotSettings) {
    this.ripgrepPath = settings.ripgrepPath;
  }

  get root(): string {
    return this.settings.root;
  }

  get fs(): RepoFs {
    return this.settings.fs;
  }

  abs(rel: string): string {
    return absolutePath(this.settings.root, rel);
  }

  realRoot(): Promise<string> {
    this.realRootPromise ??= this.fs.realpath(this.root).catch((err: Error) => {
      this.realRootPromise = undefined;
      throw new RepoError(`The workspace root "${this.root}" cannot be opened: ${err.message}`);
    });
    return this.realRootPromise;
  }

  listing(): Promise<Listing> {
    this.listingPromise ??= this.realRoot()
      .then((realRoot) =>
        listWorkspace({
          root: this.root,
          realRoot,
          exclude: this.settings.exclude,
          useGitignore: this.settings.useGitignore,
          fs: this.fs,
        }),
      )
      .catch((err: unknown) => {
        this.listingPromise = undefined; // let a later call retry
        throw err;
      });
    return this.listingPromise;
  }

  /** Size in bytes (of the target, for a symbolic link). */
  size(rel: string): Promise<number> {
    return memo(this.sizes, rel, async () => (await this.fs.stat(this.abs(rel))).size);
  }

  /** Sizes of many files, statted a few at a time. */
  async sizesOf(rels: readonly string[]): Promise<number[]> {
    return mapLimit(rels, 64, (rel) => this.size(rel));
  }

  /** Binary by extension, else by a NUL byte in the first 8 KiB (read once, then remembered). */
  isBinary(rel: string): Promise<boolean> {
    if (hasBinaryExtension(rel)) return Promise.resolve(true);
    return memo(this.binary, rel, async () => looksBinary(await this.fs.readHead(this.abs(rel), SNIFF_BYTES)));
  }

  /** Records what a whole-file read already found out, sparing a second look. */
  noteBinary(rel: string, head: Uint8Array): boolean {
    const result = hasBinaryExtension(rel) || looksBinary(head);
    if (!this.binary.has(rel)) this.binary.set(rel, Promise.resolve(result));
    return result;
  }

  /** Number of lines (see lines.ts); only asked of text files. */
  lineCount(rel: string): Promise<number> {
    return memo(this.lineCounts, rel, async () => {
      if ((await this.size(rel)) <= this.settings.maxReadBytes) {
        return splitLines((await this.fs.readFile(this.abs(rel))).toString('utf8')).length;
      }
      const stream = this.fs.createReadStream(this.abs(rel));
      return (await scanLines(stream, () => true)).lines;
    });
  }
}

function memo<T>(cache: Map<string, Promise<T>>, key: string, compute: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    cache.set(key, value);
    value.catch(() => cache.delete(key)); // failures are not remembered
  }
  return value;
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
