/**
 * What a view knows about its source, computed lazily and then kept: the listing, file
 * sizes, which files are binary, line counts. The workspace is treated as a snapshot for
 * the length of one run, so none of it is recomputed; `subset` and `observe` views share
 * their parent's snapshot rather than walking the tree again, and `fresh()` starts a new
 * one (a long-lived conversation sees files changed between questions).
 *
 * Every read through a snapshot is bounded (the host process is shared):
 * - it passes the source's gate (ioGate.ts): at most 16 reads and 64 MiB in flight per
 *   source, whatever model code starts at once;
 * - a whole file is read only up to `maxReadBytes`; bigger ones are streamed;
 * - a streamed scan keeps at most `maxReadBytes` of one line (the rest is cut with a
 *   marker) and stops after `maxScanBytes`, so a line range deep in a file of gigabytes
 *   is refused with a message instead of read for minutes;
 * - a line count scans at most `maxScanBytes` and past that is an estimate, flagged as one.
 */
import { mapLimit } from './mapLimit';
import { mapSliced } from '../util/slices';
import type { SourceListing, SpecialKind, WorkspaceSource } from './source';
import { SNIFF_BYTES, hasBinaryExtension, looksBinary } from './binary';
import { countLines, decodeUtf8, scanLines, splitLines, type ScanResult } from './lines';
import { gateFor, type Gate } from './ioGate';

export { mapLimit } from './mapLimit';

export interface Listing extends SourceListing {
  set: ReadonlySet<string>;
  special: ReadonlyMap<string, SpecialKind>;
  notes: readonly string[];
}

/** Bytes a streamed scan (a line range, a line count) reads at most. */
export const DEFAULT_MAX_SCAN_BYTES = 256 * 1024 * 1024;

export interface LineCountResult {
  lines: number;
  /** The file is larger than a count may scan: `lines` is extrapolated from its first `maxScanBytes`. */
  estimated: boolean;
}

export class Snapshot {
  private listingPromise: Promise<Listing> | undefined;
  private readonly sizes = new Map<string, Promise<number>>();
  private readonly binary = new Map<string, Promise<boolean>>();
  private readonly lineCounts = new Map<string, Promise<LineCountResult>>();
  /** Sizes a checked handle measured (a whole read): what `size` may report. */
  private readonly knownSizes = new Map<string, number>();
  /**
   * Sizes the listing measured by name, in bulk. Only hints (which files to stream, how to
   * group and summarise): a name swapped to outside mid-walk could lend them an outside size,
   * so `stat` and `info` never report them.
   */
  private readonly listedSizes = new Map<string, number>();
  /** Settles once `listedSizes` holds what the listing measured (or it measured nothing). */
  private listedSizesReady: Promise<void> = Promise.resolve();
  /** Files a whole read found bigger than `maxReadBytes`: not opened again for that. */
  private readonly tooBig = new Set<string>();
  readonly gate: Gate;

  constructor(
    readonly source: WorkspaceSource,
    /** Largest file read whole; bigger ones are streamed. Also the longest line a scan keeps whole. */
    readonly maxReadBytes: number,
    /** Bytes a streamed scan reads at most. */
    readonly maxScanBytes: number = DEFAULT_MAX_SCAN_BYTES,
  ) {
    this.gate = gateFor(source);
  }

  listing(): Promise<Listing> {
    this.listingPromise ??= this.source.list().then(
      (listing) => {
        let set: Set<string> | undefined;
        // The sizes come after the files (the worker measures them once it has sent the
        // listing): only what needs them (sizesOf) waits.
        this.listedSizesReady =
          listing.sizes?.then((sizes) =>
            sizes === null || sizes.length !== listing.files.length
              ? undefined
              : mapSliced(listing.files, (f, i) => {
                  if (!Number.isNaN(sizes[i]!)) this.listedSizes.set(f, sizes[i]!);
                }).then(() => undefined),
          ) ?? Promise.resolve();
        return {
          files: listing.files,
          links: listing.links,
          // Built on first use: listing 50,000 files should not pay for hashing them all when only files() is asked.
          get set(): ReadonlySet<string> {
            return (set ??= new Set(listing.files));
          },
          special: listing.special ?? new Map(),
          notes: listing.notes ?? [],
        };
      },
      (err: unknown) => {
        this.listingPromise = undefined; // let a later call retry
        throw err;
      },
    );
    return this.listingPromise;
  }

  /** Size in bytes (of the target, for a symbolic link), as a checked handle measures it. */
  size(rel: string): Promise<number> {
    const known = this.knownSizes.get(rel);
    if (known !== undefined && !this.sizes.has(rel)) this.sizes.set(rel, Promise.resolve(known));
    return memo(this.sizes, rel, () => this.gate.run(0, () => this.source.size(rel)));
  }

  /**
   * Sizes of many files: those the listing measured at once, in slices of the event loop;
   * the rest asked a few at a time; 0 for a file that cannot be sized (gone, refused).
   */
  async sizesOf(rels: readonly string[]): Promise<number[]> {
    await this.listing().catch(() => undefined);
    await this.listedSizesReady;
    const unknown: number[] = [];
    const sizes = await mapSliced(rels, (rel, i) => {
      const known = this.knownSizes.get(rel) ?? this.listedSizes.get(rel);
      if (known === undefined) unknown.push(i);
      return known ?? 0;
    });
    const asked = await mapLimit(unknown, 64, (i) => this.size(rels[i]!).catch(() => 0));
    unknown.forEach((i, k) => (sizes[i] = asked[k]!));
    return sizes;
  }

  /**
   * Binary by extension, else by a NUL byte in the first 8 KiB (sniffed once, then remembered).
   * Not through the read gate: a sniff holds 8 KiB, its callers bound how many they start
   * (grep 32, clusters 32), the source bounds its open files, and a disk source makes them in
   * its listing worker, batched (gated 16 at a time they cost 6-11% more of a big grep).
   */
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

  /**
   * The whole file, when it is at most `maxReadBytes`; null for a bigger one (stream it
   * instead). One open of the file: its size comes with it.
   */
  async bytes(rel: string): Promise<Uint8Array | null> {
    const known = this.knownSizes.get(rel) ?? this.listedSizes.get(rel);
    if ((known !== undefined && known > this.maxReadBytes) || this.tooBig.has(rel)) return null;
    const bytes = await this.gate.run(known ?? this.maxReadBytes, () => this.source.readBytes(rel, this.maxReadBytes));
    if (bytes === null) this.tooBig.add(rel);
    else if (!this.knownSizes.has(rel)) this.knownSizes.set(rel, bytes.length);
    return bytes;
  }

  /**
   * The lines of a file (see lines.ts), whole or streamed; `onLine` returns false to stop.
   * A streamed scan cuts lines longer than `maxReadBytes` and stops after `maxScanBytes`
   * (`truncated`).
   */
  async scan(rel: string, onLine: (line: string, lineNo: number) => boolean | void): Promise<ScanResult & { streamed: boolean }> {
    const bytes = await this.bytes(rel);
    if (bytes === null) return this.scanStream(rel, onLine);
    this.noteBinary(rel, bytes);
    return this.scanBytes(bytes, onLine);
  }

  private async scanStream(rel: string, onLine: (line: string, lineNo: number) => boolean | void): Promise<ScanResult & { streamed: boolean }> {
    const result = await this.gate.run(this.maxReadBytes, () =>
      scanLines(this.source.stream(rel), onLine, { maxLineBytes: this.maxReadBytes, maxBytes: this.maxScanBytes }),
    );
    return { ...result, streamed: true };
  }

  private scanBytes(bytes: Uint8Array, onLine: (line: string, lineNo: number) => boolean | void): ScanResult & { streamed: boolean } {
    const lines = splitLines(decodeUtf8(bytes));
    for (let i = 0; i < lines.length; i++) {
      if (onLine(lines[i]!, i + 1) === false) return { lines: i + 1, stopped: true, truncated: false, streamed: false };
    }
    return { lines: lines.length, stopped: false, truncated: false, streamed: false };
  }

  /**
   * Size, binary-ness and (for text) line count, as `stat` reports them. What this snapshot
   * already knows is kept; otherwise a text file that fits is opened once and all three
   * come from its bytes.
   */
  async facts(rel: string): Promise<{ size: number; binary: boolean; lines: LineCountResult | null }> {
    if (!this.sizes.has(rel) && !this.knownSizes.has(rel) && !hasBinaryExtension(rel)) {
      const bytes = await this.bytes(rel);
      if (bytes !== null && !this.lineCounts.has(rel) && !this.noteBinary(rel, bytes)) {
        this.lineCounts.set(rel, countLines([bytes]).then((c) => ({ lines: c.lines, estimated: false })));
      }
    }
    const size = await this.size(rel);
    const binary = await this.isBinary(rel);
    return { size, binary, lines: binary ? null : await this.lineCount(rel) };
  }

  /**
   * `scan` of a text file, or 'binary' (decided before any line is handed out): a file that
   * fits is read once and judged on its bytes; a bigger one is sniffed, then streamed.
   */
  async scanText(rel: string, onLine: (line: string, lineNo: number) => boolean | void): Promise<(ScanResult & { streamed: boolean }) | 'binary'> {
    if (hasBinaryExtension(rel)) return 'binary';
    const bytes = await this.bytes(rel);
    if (bytes !== null) return this.noteBinary(rel, bytes) ? 'binary' : this.scanBytes(bytes, onLine);
    if (await this.isBinary(rel)) return 'binary';
    return this.scanStream(rel, onLine);
  }

  /** Number of lines (see lines.ts); only asked of text files. Counts newline bytes, never holding lines. */
  lineCount(rel: string): Promise<LineCountResult> {
    return memo(this.lineCounts, rel, async () => {
      const bytes = await this.bytes(rel);
      if (bytes !== null) return { lines: (await countLines([bytes])).lines, estimated: false };
      const count = await this.gate.run(this.maxReadBytes, () => countLines(this.source.stream(rel), this.maxScanBytes));
      if (count.complete) return { lines: count.lines, estimated: false };
      // As many newlines per byte in the rest as in the part counted; at least the lines already seen.
      const size = await this.size(rel);
      return { lines: Math.max(count.lines, Math.round((count.newlines * size) / count.scanned)), estimated: true };
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
