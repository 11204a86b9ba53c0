/**
 * What a view knows about its source, computed lazily and then kept: the listing, file
 * sizes, which files are binary, line counts. The workspace is treated as a snapshot for
 * the length of one run, so none of it is recomputed; `subset` and `observe` views share
 * their parent's snapshot rather than walking the tree again, and `fresh()` starts a new
 * one (a long-lived conversation sees files changed between questions).
 */
import type { SourceListing, WorkspaceSource } from './source';
import { SNIFF_BYTES, hasBinaryExtension, looksBinary } from './binary';
import { decodeUtf8, scanLines, splitLines } from './lines';

export interface Listing extends SourceListing {
  set: ReadonlySet<string>;
}

export class Snapshot {
  private listingPromise: Promise<Listing> | undefined;
  private readonly sizes = new Map<string, Promise<number>>();
  private readonly binary = new Map<string, Promise<boolean>>();
  private readonly lineCounts = new Map<string, Promise<number>>();

  constructor(
    readonly source: WorkspaceSource,
    /** Largest file read whole; bigger ones are streamed. */
    readonly maxReadBytes: number,
  ) {}

  listing(): Promise<Listing> {
    this.listingPromise ??= this.source.list().then(
      (listing) => ({ files: listing.files, links: listing.links, set: new Set(listing.files) }),
      (err: unknown) => {
        this.listingPromise = undefined; // let a later call retry
        throw err;
      },
    );
    return this.listingPromise;
  }

  /** Size in bytes (of the target, for a symbolic link). */
  size(rel: string): Promise<number> {
    return memo(this.sizes, rel, () => this.source.size(rel));
  }

  /** Binary by extension, else by a NUL byte in the first 8 KiB (sniffed once, then remembered). */
  isBinary(rel: string): Promise<boolean> {
    if (hasBinaryExtension(rel)) return Promise.resolve(true);
    return memo(this.binary, rel, () => this.source.isBinary(rel));
  }

  /** Records what a whole-file read already found out, sparing a second look. */
  noteBinary(rel: string, head: Uint8Array): boolean {
    const result = hasBinaryExtension(rel) || looksBinary(head.subarray(0, SNIFF_BYTES));
    if (!this.binary.has(rel)) this.binary.set(rel, Promise.resolve(result));
    return result;
  }

  /** The whole file, when it is at most `maxReadBytes`; null for a bigger one (stream it instead). */
  async bytes(rel: string): Promise<Uint8Array | null> {
    if ((await this.size(rel)) > this.maxReadBytes) return null;
    return this.source.readBytes(rel, this.maxReadBytes);
  }

  /** The lines of a file (see lines.ts), whole or streamed; `onLine` returns false to stop. */
  async scan(rel: string, onLine: (line: string, lineNo: number) => boolean | void): Promise<{ lines: number; stopped: boolean }> {
    const bytes = await this.bytes(rel);
    if (bytes === null) return scanLines(this.source.stream(rel), onLine);
    const lines = splitLines(decodeUtf8(bytes));
    for (let i = 0; i < lines.length; i++) {
      if (onLine(lines[i], i + 1) === false) return { lines: i + 1, stopped: true };
    }
    return { lines: lines.length, stopped: false };
  }

  /** Number of lines (see lines.ts); only asked of text files. */
  lineCount(rel: string): Promise<number> {
    return memo(this.lineCounts, rel, async () => (await this.scan(rel, () => true)).lines);
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
